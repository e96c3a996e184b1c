import { describe, expect, it } from 'vitest';
import { readAggregations, runAggregations } from '../../src/sources/elastic/dev/aggregations.js';
import { DslParsingError } from '../../src/sources/elastic/dev/dsl-reader.js';
import type { EcsDoc } from '../../src/sources/elastic/dev/ecs-docs.js';
import { estateFilter, prevalencePage } from '../../src/sources/elastic/dsl.js';

const from = new Date('2026-11-27T10:00:00.000Z');
const to = new Date('2026-11-28T10:00:00.000Z');

const doc = (host: string, ip: string, port: number): EcsDoc => ({
  index: 'i',
  id: `${host}-${ip}-${port}`,
  fields: { 'host.id': [host], 'destination.ip': [ip], 'destination.port': [port], 'network.transport': ['tcp'] },
});

describe('Elastic estate prevalence search', () => {
  it('asks for the host count and the widespread destinations on the first page only, with no host clause', () => {
    const query = estateFilter(from, to);
    expect(JSON.stringify(query)).not.toContain('host.name');
    const first = prevalencePage({ query, size: 1_000, destinations: { size: 500, minHosts: 3 } }) as { aggs: Record<string, unknown> };
    expect(first).toMatchObject({ size: 0, track_total_hits: false });
    expect(first.aggs).toEqual({
      ports: {
        composite: {
          size: 1_000,
          sources: [{ transport: { terms: { field: 'network.transport', missing_bucket: true } } }, { port: { terms: { field: 'destination.port', missing_bucket: true } } }],
        },
        aggs: { hosts: { cardinality: { field: 'host.id', precision_threshold: 10_000 } } },
      },
      estate_hosts: { cardinality: { field: 'host.id', precision_threshold: 40_000 } },
      destination_ips: {
        terms: { field: 'destination.ip', size: 500, min_doc_count: 3, order: [{ hosts: 'desc' }, { _key: 'asc' }] },
        aggs: {
          hosts: { cardinality: { field: 'host.id', precision_threshold: 10_000 } },
          widespread: { bucket_selector: { buckets_path: { hosts: 'hosts' }, script: 'params.hosts >= 3' } },
        },
      },
      destination_domains: expect.objectContaining({ terms: expect.objectContaining({ field: 'destination.domain' }) }),
    });
    const later = prevalencePage({ query, size: 1_000, after: { transport: 'tcp', port: 443 } }) as { aggs: Record<string, unknown> };
    expect(Object.keys(later.aggs)).toEqual(['ports']);
    expect(() => prevalencePage({ query, size: 10, destinations: { size: 5, minHosts: 2.5 } })).toThrow(RangeError);
  });
});

describe('the fake’s Elasticsearch aggregations', () => {
  const docs = [doc('h1', '192.0.2.1', 443), doc('h2', '192.0.2.1', 443), doc('h3', '192.0.2.1', 443), doc('h1', '192.0.2.2', 443), doc('h2', '192.0.2.2', 80), doc('h1', '192.0.2.3', 53), doc('h1', '192.0.2.3', 54), doc('h2', '192.0.2.4', 53), doc('h2', '192.0.2.4', 54)];

  it('orders terms by a cardinality sub-aggregation, cuts to size, then applies bucket_selector', () => {
    const aggs = readAggregations({
      dst: {
        terms: { field: 'destination.ip', size: 3, min_doc_count: 2, order: [{ hosts: 'desc' }, { _key: 'asc' }] },
        aggs: { hosts: { cardinality: { field: 'host.id' } }, keep: { bucket_selector: { buckets_path: { hosts: 'hosts' }, script: 'params.hosts >= 2' } } },
      },
    });
    expect(runAggregations(docs, aggs)).toEqual({
      dst: {
        doc_count_error_upper_bound: 0,
        sum_other_doc_count: 2,
        buckets: [
          { key: '192.0.2.1', doc_count: 3, hosts: { value: 3 } },
          { key: '192.0.2.2', doc_count: 2, hosts: { value: 2 } },
        ],
      },
    });
  });

  it('refuses a pipeline at the top level and an order by an unknown path, as Elasticsearch does', () => {
    expect(() => readAggregations({ keep: { bucket_selector: { buckets_path: { n: '_count' }, script: 'params.n >= 1' } } })).toThrow(DslParsingError);
    expect(() => readAggregations({ dst: { terms: { field: 'destination.ip', order: { hosts: 'desc' } } } })).toThrow(DslParsingError);
  });
});
