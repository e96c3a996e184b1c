import { describe, expect, it } from 'vitest';
import { DecodedMemo } from '../../src/stores/decoded-memo.js';

const bytesOf = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('decoded records kept while their bytes stay the same', () => {
  it('decodes a record again only when its stored bytes changed', () => {
    const memo = new DecodedMemo<{ state: string; hosts: string[] }>(10);
    let decoded = 0;
    const decode = (bytes: Buffer) => {
      decoded += 1;
      return JSON.parse(bytes.toString()) as { state: string; hosts: string[] };
    };
    const first = memo.decode('w-1', bytesOf({ state: 'watching', hosts: ['a'] }), decode);
    expect(memo.decode('w-1', bytesOf({ state: 'watching', hosts: ['a'] }), decode)).toBe(first);
    expect(decoded).toBe(1);
    expect(memo.decode('w-1', bytesOf({ state: 'closed', hosts: ['a'] }), decode)).toEqual({ state: 'closed', hosts: ['a'] });
    expect(decoded).toBe(2);
  });

  it('hands out frozen values, down to nested arrays, so no reader can change what the others share', () => {
    const memo = new DecodedMemo<{ hosts: { name: string }[] }>(10);
    const value = memo.decode('w-1', bytesOf({ hosts: [{ name: 'a' }] }), (bytes) => JSON.parse(bytes.toString()));
    expect(() => value.hosts.push({ name: 'b' })).toThrow(TypeError);
    expect(() => {
      (value.hosts[0] as { name: string }).name = 'b';
    }).toThrow(TypeError);
  });

  it('keeps the newest keys only', () => {
    const memo = new DecodedMemo<number>(2);
    let decoded = 0;
    const decode = (bytes: Buffer) => {
      decoded += 1;
      return Number(bytes.toString());
    };
    for (const key of ['a', 'b', 'a', 'c']) memo.decode(key, Buffer.from('1'), decode);
    expect(decoded).toBe(3);
    memo.decode('a', Buffer.from('1'), decode);
    expect(decoded).toBe(3);
    memo.decode('b', Buffer.from('1'), decode);
    expect(decoded).toBe(4);
  });
});
