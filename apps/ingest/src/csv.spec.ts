import { CsvSyntaxError, parseCsv } from './csv';

const fields = (text: string) => parseCsv(text).map((r) => r.fields);

describe(parseCsv.name, () => {
  it('splits records on CRLF, LF or CR, without an empty record after a final line break', () => {
    expect(fields('a,b\r\nc,d\r\n')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(fields('a,b\nc,d')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    expect(fields('a\rb\r')).toEqual([['a'], ['b']]);
    expect(fields('')).toEqual([]);
  });

  it('keeps empty fields, leading and trailing', () => {
    expect(fields(',a,,\r\n')).toEqual([['', 'a', '', '']]);
    expect(fields('a,\r\n\r\n')).toEqual([['a', ''], ['']]);
  });

  it('reads quoted fields with commas, line breaks and doubled quotes as data', () => {
    expect(fields('"a,b","say ""hi""","line1\r\nline2",""\r\nx,"",y\r\n')).toEqual([
      ['a,b', 'say "hi"', 'line1\r\nline2', ''],
      ['x', '', 'y'],
    ]);
    expect(fields('"only"')).toEqual([['only']]);
    expect(fields('""')).toEqual([['']]);
    expect(fields('a,""')).toEqual([['a', '']]);
  });

  it('numbers each record by the line it starts on, counting line breaks inside quotes', () => {
    expect(parseCsv('h1,h2\r\n"multi\r\nline",x\r\nlast,y\r\n').map((r) => r.line)).toEqual([1, 2, 4]);
  });

  it('ignores a byte order mark', () => {
    expect(fields('\uFEFFtype,value\r\n')).toEqual([['type', 'value']]);
  });

  it('flags a quote inside an unquoted field on that record only', () => {
    const records = parseCsv('a,b"c\r\nd,e\r\n');
    expect(records[0]).toMatchObject({ fields: ['a', 'b"c'], error: expect.stringContaining('double quote') });
    expect(records[1]).toEqual({ line: 2, fields: ['d', 'e'] });
  });

  it('refuses an unterminated quoted field and text after a closing quote, naming the line', () => {
    expect(() => parseCsv('a,b\r\n"open,c\r\n')).toThrow(new CsvSyntaxError('unterminated quoted field', 2));
    expect(() => parseCsv('"a"b,c')).toThrow('line 1: text after a closing quote');
  });
});
