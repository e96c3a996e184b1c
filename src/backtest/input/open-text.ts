import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { isAscii } from 'node:buffer';
import { TextDecoder } from 'node:util';
import { createGunzip } from 'node:zlib';
import { Unzip, UnzipInflate, type UnzipFile } from 'fflate';
import { InputError } from '../input-error.js';

/** One text stream of an input: the file itself, the content of a .gz, or one member of a .zip. */
export interface TextEntry {
  /** What error messages call it: the file, or `file.zip:member.json`. */
  name: string;
  chunks: AsyncIterable<string>;
  /**
   * Set, by the time `chunks` ends, when the compressed data stops mid-stream (a partial copy or download): the text
   * ends where the data did, so its last line is partial and whatever followed is lost.
   */
  readonly ending: { cut?: string };
  /**
   * The same text again from its start, for a first pass over a log that joins records across it, as chunks to
   * search. Read errors end it quietly: the reading pass reports them where they are.
   */
  reread(): AsyncIterable<SearchChunk>;
}

/**
 * A chunk of an entry to search for ASCII patterns. With `bytes` (UTF-8 text), `text` is those bytes as Latin-1, one
 * character per byte, made without decoding: an ASCII pattern matches where it does in the decoded text (no byte of
 * a multi-byte UTF-8 character is ASCII), and a match's offsets are byte offsets, so only the lines that matter
 * are decoded (`searchedText`). Without `bytes` (UTF-16), `text` is the decoded text.
 */
export interface SearchChunk {
  text: string;
  bytes?: Buffer;
}

const lineDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** The text from `start` to `end` of a chunk to search, decoded. */
export function searchedText(chunk: SearchChunk, start: number, end: number): string {
  return chunk.bytes ? lineDecoder.decode(chunk.bytes.subarray(start, end)) : chunk.text.slice(start, end);
}

/** Part of a chunk to search, from `start` to `end`. */
export function searchSlice(chunk: SearchChunk, start: number, end?: number): SearchChunk {
  return chunk.bytes ? { text: chunk.text.slice(start, end), bytes: chunk.bytes.subarray(start, end) } : { text: chunk.text.slice(start, end) };
}

/** Consecutive parts of an entry to search, as one: joined once, however many chunks a long line spans. */
export function searchJoin(parts: readonly SearchChunk[]): SearchChunk {
  if (parts.length === 1) return parts[0]!;
  const text = parts.map((part) => part.text).join('');
  return parts.every((part) => part.bytes) ? { text, bytes: Buffer.concat(parts.map((part) => part.bytes!)) } : { text };
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const EMPTY_ZIP_MAGIC = [0x50, 0x4b, 0x05, 0x06];
const GZIP_MAGIC = [0x1f, 0x8b];

/** Large reads: each chunk is one step of the async pipeline that follows, whatever the number of lines in it. */
const READ_CHUNK = { highWaterMark: 1 << 20 };

const startsWith = (bytes: Uint8Array, magic: readonly number[]) => magic.every((byte, index) => bytes[index] === byte);

/**
 * The text entries of a telemetry file, recognised by content rather than by name: zip and gzip are decompressed
 * as they are read, so a recording of hundreds of MB never sits in memory whole. Each entry must be drained
 * before the next is asked for (they share one read stream).
 */
export async function* openTextEntries(path: string): AsyncGenerator<TextEntry> {
  const head = await readHead(path);
  if (startsWith(head, ZIP_MAGIC) || startsWith(head, EMPTY_ZIP_MAGIC)) {
    yield* zipEntries(path);
    return;
  }
  const gzip = startsWith(head, GZIP_MAGIC);
  const bytes = () => {
    const file = createReadStream(path, READ_CHUNK);
    return gzip ? file.pipe(createGunzip()) : file;
  };
  const ending = {};
  yield { name: path, chunks: decode(bytes(), path, ending), ending, reread: () => quietly(searchChunks(bytes())) };
}

async function* quietly<T>(chunks: AsyncIterable<T>): AsyncGenerator<T> {
  try {
    yield* chunks;
  } catch {
    return;
  }
}

/** The bytes of one zip member, inflating the archive again up to it. */
async function* memberBytes(path: string, member: number): AsyncGenerator<Uint8Array> {
  for await (const piece of zipPieces(path)) {
    if (piece.member > member) return;
    if (piece.member === member) yield piece.data;
  }
}

async function readHead(path: string): Promise<Uint8Array> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new InputError(path, `cannot open: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    const buffer = new Uint8Array(4);
    const { bytesRead } = await handle.read(buffer, 0, 4, 0);
    return buffer.subarray(0, bytesRead);
  } catch (error) {
    throw new InputError(path, `cannot read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  } finally {
    await handle.close();
  }
}

/** zlib's error for a stream that stops before its end; corrupt data fails with Z_DATA_ERROR instead. */
const GZIP_CUT = 'Z_BUF_ERROR';

/**
 * Bytes to text. A UTF-16 byte order mark (PowerShell's `Out-File` default) switches the decoder. A chunk of plain
 * ASCII, which exports mostly are, is copied as it is: several times cheaper than decoding it as UTF-8, which gives
 * the same text. Other chunks go through `TextDecoder`, about four times faster on Node 20 than `StringDecoder` (and
 * `Buffer#toString`), which spent almost half a backtest of the OTRF recordings, where most chunks hold a non-ASCII
 * character. A byte order mark is kept for the line splitter to drop, as from an ASCII chunk. A gzip stream that stops
 * early ends the text there, and `ending.cut` says so.
 */
async function* decode(bytes: AsyncIterable<Uint8Array | string>, name: string, ending: TextEntry['ending']): AsyncGenerator<string> {
  let utf16: TextDecoder | undefined;
  const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
  let first = true;
  try {
    for await (const chunk of bytes) {
      const data = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      if (data.length === 0) continue;
      if (first && data[0] === 0xff && data[1] === 0xfe) utf16 = new TextDecoder('utf-16le');
      first = false;
      // An ASCII chunk cannot finish a character the chunk before began: what the decoder holds is not UTF-8 and
      // ends as a replacement character.
      const text = utf16 ? utf16.decode(data, { stream: true }) : isAscii(data) ? utf8.decode() + data.toString('latin1') : utf8.decode(data, { stream: true });
      if (text !== '') yield text;
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    if ((error as NodeJS.ErrnoException).code !== GZIP_CUT) throw new InputError(name, `cannot decompress or read: ${(error as Error).message}`);
    ending.cut = 'the gzip stream ends early (the file is cut off)';
  }
  const rest = utf16 ? utf16.decode() : utf8.decode();
  if (rest !== '') yield rest;
}

/** Bytes to chunks to search (`SearchChunk`): UTF-8 as Latin-1 without decoding, UTF-16 (by its byte order mark) decoded. */
async function* searchChunks(bytes: AsyncIterable<Uint8Array | string>): AsyncGenerator<SearchChunk> {
  let utf16: TextDecoder | undefined;
  let first = true;
  for await (const chunk of bytes) {
    const data = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (data.length === 0) continue;
    if (first && data[0] === 0xff && data[1] === 0xfe) utf16 = new TextDecoder('utf-16le');
    first = false;
    if (utf16) {
      const text = utf16.decode(data, { stream: true });
      if (text !== '') yield { text };
    } else yield { text: data.toString('latin1'), bytes: data };
  }
  const rest = utf16?.decode() ?? '';
  if (rest !== '') yield { text: rest };
}

interface Piece {
  member: number;
  name: string;
  data: Uint8Array;
}

/** fflate's error when the archive ends inside a member's compressed data. */
const ZIP_CUT = 13;

/**
 * Zip members as they are inflated, in archive order; directories and macOS resource forks are skipped. Each
 * member starts with an empty piece, so a member the archive ends in before any of its data is still seen. Returns
 * the member the archive ends inside, when it is cut off.
 */
async function* zipPieces(path: string): AsyncGenerator<Piece, number | undefined> {
  const ready: Piece[] = [];
  let members = 0;
  let failure: Error | undefined;
  const unzip = new Unzip((file: UnzipFile) => {
    if (file.name.endsWith('/') || file.name.startsWith('__MACOSX/')) return;
    const member = members++;
    ready.push({ member, name: file.name, data: new Uint8Array(0) });
    file.ondata = (error, data) => {
      if (error) failure = error;
      else ready.push({ member, name: file.name, data });
    };
    try {
      file.start();
    } catch (error) {
      failure = error as Error;
    }
  });
  unzip.register(UnzipInflate);
  const push = (chunk: Uint8Array, final: boolean) => {
    try {
      unzip.push(chunk, final);
    } catch (error) {
      failure = error as Error;
    }
    if (failure) throw new InputError(path, `not a readable zip archive: ${failure.message}`);
  };
  for await (const chunk of createReadStream(path, READ_CHUNK)) {
    push(chunk as Buffer, false);
    yield* ready.splice(0);
  }
  let cutMember: number | undefined;
  try {
    unzip.push(new Uint8Array(0), true);
  } catch (error) {
    if ((error as { code?: number }).code === ZIP_CUT) cutMember = members - 1;
    else failure = error as Error;
  }
  if (failure) throw new InputError(path, `not a readable zip archive: ${failure.message}`);
  yield* ready.splice(0);
  if (members === 0) throw new InputError(path, 'no file could be read from the zip archive (empty or truncated)');
  return cutMember;
}

async function* zipEntries(path: string): AsyncGenerator<TextEntry> {
  const pieces = zipPieces(path);
  try {
    let next = await pieces.next();
    while (!next.done) {
      const { member, name } = next.value;
      const ending: TextEntry['ending'] = {};
      async function* bytes(): AsyncGenerator<Uint8Array> {
        while (!next.done && next.value.member === member) {
          yield next.value.data;
          next = await pieces.next();
        }
        if (next.done && next.value === member) ending.cut = 'the zip archive ends inside this member (the file is cut off)';
      }
      const entryName = `${path}:${name}`;
      yield { name: entryName, chunks: decode(bytes(), entryName, ending), ending, reread: () => quietly(searchChunks(memberBytes(path, member))) };
      while (!next.done && next.value.member === member) next = await pieces.next();
    }
  } finally {
    // A reader that stopped early (a bad line) must not leave the file open.
    await pieces.return(undefined);
  }
}
