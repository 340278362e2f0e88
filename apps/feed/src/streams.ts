import { FeedError, type Rejection } from './errors';

/** An open stream as the registry sees it: something it can end with a coded error. */
export interface OpenStream {
  end(rejection: Rejection): void;
}

/** The open Subscribe and Snapshot streams of this instance: bounded (FEED_MAX_STREAMS) and ended together on shutdown. */
export class StreamRegistry {
  private readonly open = new Set<OpenStream>();
  private closing: Rejection | undefined;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.open.size;
  }

  /** Registers a stream; TOO_MANY_STREAMS beyond the limit, SHUTTING_DOWN once closing. Returns its release. */
  add(stream: OpenStream): () => void {
    if (this.closing) throw new FeedError('SHUTTING_DOWN', this.closing.message);
    if (this.open.size >= this.max) throw new FeedError('TOO_MANY_STREAMS', `this instance serves at most ${this.max} streams; retry later`);
    this.open.add(stream);
    return () => this.open.delete(stream);
  }

  /** Ends every open stream with `rejection` and refuses new ones. */
  endAll(rejection: Rejection): void {
    this.closing = rejection;
    for (const stream of [...this.open]) stream.end(rejection);
    this.open.clear();
  }
}
