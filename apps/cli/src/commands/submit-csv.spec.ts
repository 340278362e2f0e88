import { type CsvRecord, CsvRecordReader, type Line, readCsvRecords, readLines, SubmitFileError } from './submit-csv';

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of source) out.push(x);
  return out;
}

async function* chunks(...parts: (string | Buffer)[]): AsyncGenerator<Buffer> {
  for (const p of parts) yield typeof p === 'string' ? Buffer.from(p) : p;
}

const lines = (text: string) => text.split('\n').map((t, i): Line => ({ number: i + 1, text: t, end: 0 }));

/** Parses whole text with the record reader, line by line (as the file path does). */
async function records(text: string): Promise<CsvRecord[]> {
  return collect(readCsvRecords(readLines(chunks(text))));
}

describe(readLines.name, () => {
  it('splits LF and CRLF lines, numbers them from 1 and reports the byte offset after each', async () => {
    expect(await collect(readLines(chunks('a,b\r\nc\n\nd')))).toEqual([
      { number: 1, text: 'a,b', end: 5 },
      { number: 2, text: 'c', end: 7 },
      { number: 3, text: '', end: 8 },
      { number: 4, text: 'd', end: 9 },
    ]);
  });

  it('joins a line split across chunks, also inside a multi-byte character, and drops a leading BOM', async () => {
    const euro = Buffer.from('€'); // 3 bytes
    const got = await collect(readLines(chunks(Buffer.from([0xef, 0xbb, 0xbf]), 'type,val', 'ue\nx', euro.subarray(0, 1), euro.subarray(1), 'y\n')));
    expect(got.map((l) => l.text)).toEqual(['type,value', 'x€y']);
    expect(got[1]?.end).toBe(3 + 11 + 6);
  });

  it('refuses a line longer than the limit instead of buffering it', async () => {
    await expect(collect(readLines(chunks('x'.repeat(50), 'y'.repeat(50)), 20))).rejects.toMatchObject({ code: 'LINE_TOO_LONG' });
  });

  it('pulls the next chunk only when asked for the next line', async () => {
    let pulled = 0;
    async function* source() {
      for (let i = 0; i < 100; i++) {
        pulled += 1;
        yield Buffer.from(`line ${i}\n`);
      }
    }
    const it = readLines(source());
    await it.next();
    await it.next();
    expect(pulled).toBe(2);
    await it.return(undefined);
  });
});

describe(CsvRecordReader.name, () => {
  it('reads plain, quoted and empty fields', async () => {
    expect(await records('url,"https://example.com/a,b",,"" \n')).toEqual([{ line: 1, end: 35, fields: ['url', 'https://example.com/a,b', '', ''] }]);
  });

  it('unescapes doubled quotes', async () => {
    const [record] = await records('prompt-pattern,"a ""placeholder"" phrase","say ""hi"""\n');
    expect(record).toMatchObject({ fields: ['prompt-pattern', 'a "placeholder" phrase', 'say "hi"'] });
  });

  it('keeps line breaks inside a quoted field and reports the record at the line it starts on', async () => {
    const got = await records('a,b\n"first\nsecond\n""third""",x\nc,d\n');
    expect(got).toEqual([
      { line: 1, end: 4, fields: ['a', 'b'] },
      { line: 2, end: 31, fields: ['first\nsecond\n"third"', 'x'] },
      { line: 5, end: 35, fields: ['c', 'd'] },
    ]);
  });

  it('skips blank lines but keeps counting them', async () => {
    expect((await records('a\n\n  \nb\n')).map((r) => r.line)).toEqual([1, 4]);
  });

  it('ignores spaces around a quoted field', async () => {
    expect((await records('a, "b" ,c\n'))[0]).toMatchObject({ fields: ['a', 'b', 'c'] });
  });

  it('reports a quote inside an unquoted field and text after a closing quote as malformed records, then reads on', async () => {
    const got = await records('ab"c,d\n"x"y,z\nok,1\n');
    expect(got[0]).toEqual({ line: 1, end: 7, error: expect.stringContaining('quote inside unquoted field 1') });
    expect(got[1]).toEqual({ line: 2, end: 14, error: expect.stringContaining('after the closing quote of field 1') });
    expect(got[2]).toMatchObject({ line: 3, fields: ['ok', '1'] });
  });

  it('reports a quote left open at the end of the file as a malformed record at its first line', async () => {
    const got = await records('a,b\n"open,\nstill open\n');
    expect(got[1]).toEqual({ line: 2, end: 22, error: expect.stringContaining('opened on line 2 is not closed') });
  });

  it('refuses a quoted field that stays open beyond the record limit', () => {
    const reader = new CsvRecordReader(10);
    expect(reader.push({ number: 1, text: '"0123456', end: 9 })).toBeUndefined();
    expect(() => reader.push({ number: 2, text: '789abc', end: 16 })).toThrow(SubmitFileError);
  });

  it('is fed line by line: a record is only returned when its last line arrives', () => {
    const reader = new CsvRecordReader();
    const [l1, l2] = lines('"a\nb",c');
    expect(reader.push(l1 as Line)).toBeUndefined();
    expect(reader.push(l2 as Line)).toMatchObject({ line: 1, fields: ['a\nb', 'c'] });
  });
});
