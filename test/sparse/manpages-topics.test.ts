/**
 * Real sparse data: the TF-IDF matrix of the Linux man pages of sections 2 and 3 (Debian's manpages-dev, made by
 * scripts/make-manpages-tfidf.py into test/fixtures/manpages-tfidf/, with its provenance), pages × terms in CSR form.
 * The topics nmfkit learns from it must be coherent: the top terms of each topic (the largest entries of a row of
 * H) appear in the same pages more often than the same terms regrouped at random across topics do.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { nmfSync, type NmfOptions } from '../../src/index.js';
import { Random } from '../../src/random.js';
import { BACKENDS, backendAvailable } from '../support/helpers.js';

interface Corpus {
  rows: number;
  cols: number;
  indptr: number[];
  indices: number[];
  data: number[];
  terms: string[];
}

const corpus = JSON.parse(
  gunzipSync(readFileSync(new URL('../fixtures/manpages-tfidf/tfidf.json.gz', import.meta.url))).toString('utf8'),
) as Corpus;
const V = {
  format: 'csr' as const,
  rows: corpus.rows,
  cols: corpus.cols,
  indptr: corpus.indptr,
  indices: corpus.indices,
  data: corpus.data,
};

const TOPICS = 12;
const TOP = 10;

/** The pages each term appears in, as sets. */
const pagesOf: Set<number>[] = Array.from({ length: corpus.cols }, () => new Set<number>());
for (let i = 0; i < corpus.rows; i++) {
  for (let k = corpus.indptr[i]!; k < corpus.indptr[i + 1]!; k++) pagesOf[corpus.indices[k]!]!.add(i);
}

/** How often two terms share a page, relative to the rarer one: |D(a) ∩ D(b)| / min(|D(a)|, |D(b)|). */
function together(a: number, b: number): number {
  const [small, large] = pagesOf[a]!.size <= pagesOf[b]!.size ? [pagesOf[a]!, pagesOf[b]!] : [pagesOf[b]!, pagesOf[a]!];
  let shared = 0;
  for (const page of small) if (large.has(page)) shared++;
  return shared / Math.max(1, small.size);
}

/** The mean of `together` over the pairs of a topic's terms. */
function coherence(terms: readonly number[]): number {
  let sum = 0;
  let pairs = 0;
  for (let x = 0; x < terms.length; x++) {
    for (let y = x + 1; y < terms.length; y++) {
      sum += together(terms[x]!, terms[y]!);
      pairs++;
    }
  }
  return sum / pairs;
}

/** The TOP terms of each row of H (R×N), largest first. */
function topTerms(H: ArrayLike<number>): number[][] {
  return Array.from({ length: TOPICS }, (_, r) =>
    Array.from({ length: corpus.cols }, (_, j) => j)
      .sort((a, b) => H[r * corpus.cols + b]! - H[r * corpus.cols + a]!)
      .slice(0, TOP),
  );
}

/** The mean coherence of the same terms dealt out to topics at random (20 shuffles). */
function shuffledBaseline(topics: number[][]): number {
  const random = new Random(99);
  const all = topics.flat();
  let sum = 0;
  const shuffles = 20;
  for (let s = 0; s < shuffles; s++) {
    const dealt = all.slice();
    for (let i = dealt.length - 1; i > 0; i--) {
      const j = Math.floor(random.nextDouble() * (i + 1));
      [dealt[i], dealt[j]] = [dealt[j]!, dealt[i]!];
    }
    for (let t = 0; t < topics.length; t++) sum += coherence(dealt.slice(t * TOP, (t + 1) * TOP)) / topics.length;
  }
  return sum / shuffles;
}

describe.each(BACKENDS)('%s backend: topics of the man pages (TF-IDF, CSR)', (backend) => {
  it.runIf(backendAvailable(backend)).each(['mu', 'hals'] as const)(
    "solver %s: each topic's top terms share pages more than shuffled ones",
    (solver) => {
      const options: NmfOptions = {
        rank: TOPICS,
        solver,
        init: 'nndsvda',
        maxIter: solver === 'hals' ? 60 : 150,
        tol: 0,
        backend,
        spectralError: false,
      };
      const { H } = nmfSync(V, options);
      const topics = topTerms(H.data);
      const scores = topics.map(coherence);
      const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
      const baseline = shuffledBaseline(topics);
      const described = topics.map((t, i) => `${scores[i]!.toFixed(2)} ${t.map((j) => corpus.terms[j]).join(' ')}`).join('\n');
      expect(mean, `mean ${mean.toFixed(3)}, shuffled ${baseline.toFixed(3)}\n${described}`).toBeGreaterThan(1.5 * baseline);
      expect(scores.filter((c) => c > baseline).length, described).toBeGreaterThanOrEqual(Math.ceil(0.8 * TOPICS));
    },
  );
});
