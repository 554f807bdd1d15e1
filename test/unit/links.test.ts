import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RepoError, isRepoError } from '../../src/core/errors';
import { MAX_CHAIN, displayTarget, formatChain, formatChainAfterTag, formatLink, parseLinkText, resolveChain } from '../../src/core/links';
import type { LinkEnd, LinkLookup, LinkTarget } from '../../src/core/links';

function target(text: string): LinkTarget {
  const r = parseLinkText(text);
  assert.ok('target' in r, `expected '${text}' to parse, got ${'problem' in r ? r.problem : ''}`);
  return r.target;
}

function problem(text: string): string {
  const r = parseLinkText(text);
  assert.ok('problem' in r, `expected '${text}' to be refused, got ${JSON.stringify(r)}`);
  return r.problem;
}

/** The chapter's tree as a lookup: tags by name, versions with their files, one pending version. */
function lookup(tags: Record<string, string>, versions: Record<string, string[]> = {}, pending: string[] = []): LinkLookup & { reads: number } {
  const l = {
    reads: 0,
    async readTag(tag: string) {
      l.reads++;
      return tags[tag];
    },
    async targetState(end: LinkEnd) {
      if (pending.includes(end.version)) return 'pending' as const;
      const files = versions[end.version];
      if (!files) return 'missing' as const;
      return !end.file || files.includes(end.file) ? 'ok' as const : 'missing' as const;
    },
  };
  return l;
}

const chapter = {
  tags: { latest: 'v2', v1: '2024-01-15/llama-3-8b.Q4_K_M.gguf', v2: '../2024-03-20/llama-3-8b.Q5_K_M.gguf' },
  versions: { '2024-01-15': ['llama-3-8b.Q4_K_M.gguf'], '2024-03-20': ['llama-3-8b.Q5_K_M.gguf'] },
};

async function brokenReason(p: Promise<unknown>, code = 'BrokenLink'): Promise<string> {
  try {
    await p;
  } catch (e) {
    assert.ok(isRepoError(e), `not a RepoError: ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e.message;
  }
  assert.fail('expected a rejection');
}

describe('links: parsing the forms the chapter and symlinks use', () => {
  it('reads a bare name as a tag-or-version name', () => {
    assert.deepEqual(target('v2'), { kind: 'name', name: 'v2' });
    assert.deepEqual(target('./v2'), { kind: 'name', name: 'v2' });
  });
  it('reads ../version/file relative to tags/, like a real symlink', () => {
    assert.deepEqual(target('../2024-03-20/llama-3-8b.Q5_K_M.gguf'), { kind: 'file', version: '2024-03-20', file: 'llama-3-8b.Q5_K_M.gguf' });
  });
  it('reads ../version as a whole version', () => {
    assert.deepEqual(target('../2024-03-20'), { kind: 'version', version: '2024-03-20' });
    assert.deepEqual(target('../2024-03-20/'), { kind: 'version', version: '2024-03-20' });
  });
  it("reads the chapter's shorthand version/file relative to the model", () => {
    assert.deepEqual(target('2024-01-15/llama-3-8b.Q4_K_M.gguf'), { kind: 'file', version: '2024-01-15', file: 'llama-3-8b.Q4_K_M.gguf' });
  });
  it('reads files in subfolders and ../tags/x as a tag', () => {
    assert.deepEqual(target('../1.0.0/shards/model-00001.safetensors'), { kind: 'file', version: '1.0.0', file: 'shards/model-00001.safetensors' });
    assert.deepEqual(target('../tags/v2'), { kind: 'tag', tag: 'v2' });
  });
  it('accepts one trailing newline (echo v2 > tags/latest)', () => {
    assert.deepEqual(target('v2\n'), { kind: 'name', name: 'v2' });
    assert.deepEqual(target('../1.0.0\r\n'), { kind: 'version', version: '1.0.0' });
  });
  it('refuses links that leave the model', () => {
    assert.match(problem('../../other/2024-01-01/x.gguf'), /leaves the model/);
    assert.match(problem('/etc/passwd'), /absolute/);
    assert.match(problem('../2024-03-20/../../../x'), /leaves the model/);
    assert.match(problem('s3://bucket/x'), /absolute/);
    assert.match(problem('..'), /model folder itself/);
  });
  it('refuses malformed text: empty, multi-line, binary, too long', () => {
    assert.match(problem(''), /empty/);
    assert.match(problem('  \n'), /empty/);
    assert.match(problem('v2\nv3'), /more than one line/);
    assert.match(problem('v\u0000\u0001x'), /binary/);
    assert.match(problem(Buffer.from([0xff, 0xfe, 0x41]).toString('utf8')), /binary/);
    assert.match(problem('a'.repeat(1025)), /1025 bytes/);
  });
  it('refuses targets that are not versions or tags', () => {
    assert.match(problem('../tags'), /not at a tag/);
    assert.match(problem('../.modelrepo/history'), /does not point at a version/);
    assert.match(problem('tags/a/b'), /not at a tag/);
  });
});

describe('links: hostile link text read from storage', () => {
  /** Characters no message may carry raw. */
  const DISGUISING = /[\u0000-\u001f\u007f-\u009f\p{Cf}\p{Zl}\p{Zp}\p{Cs}\p{Co}\ufffd]/u;
  const cases: readonly [string, string, RegExp][] = [
    ['a bidi override in a tag name', 'v\u202E2', /malformed: .*invisible or direction-changing/],
    ['a zero-width space in a version', '../1.0\u200B/a.gguf', /does not point at a version/],
    ['a bidi isolate in a file name', '../1.0.0/a\u2066.gguf', /does not point at a file/],
    ['a C1 control', 'v\u00852', /binary/],
    ['an NFD spelling', '../1.0.0/cafe\u0301.gguf', /normal form NFC/],
    ['a fullwidth letter', '\uFF4Datest', /compatibility character/],
    ['a Windows device name as the file', '../1.0.0/NUL', /Windows device name/],
    ['a backslash walk', '..\\..\\x', /backslash/],
    ['a walk out of the model behind a bidi override', '../\u202E/../../x', /leaves the model|does not point/],
    ['a BOM before the name', '\uFEFFv2', /malformed/],
  ];
  for (const [label, text, reason] of cases) {
    it(`refuses ${label}, showing the text escaped`, () => {
      const p = problem(text);
      assert.match(p, reason);
      assert.doesNotMatch(p, DISGUISING);
    });
  }
  it('reads doubled slashes as the kernel reads them in a symlink', () => {
    assert.deepEqual(target('../1.0.0//a.gguf'), { kind: 'file', version: '1.0.0', file: 'a.gguf' });
  });
  it('resolving such a tag is BrokenLink with an escaped message', async () => {
    const msg = await brokenReason(resolveChain('m', 'latest', lookup({ latest: 'v2', v2: '../1.0.0/\u202Egguf.exe' }, chapter.versions)));
    assert.match(msg, /\\u\{202e\}/);
    assert.doesNotMatch(msg, DISGUISING);
  });
});

describe('links: formatting', () => {
  it('writes tag -> name, file -> ../version/file, version -> ../version', () => {
    assert.equal(formatLink({ kind: 'tag', tag: 'v2' }), 'v2');
    assert.equal(formatLink({ kind: 'file', version: '2024-03-20', file: 'llama-3-8b.Q5_K_M.gguf' }), '../2024-03-20/llama-3-8b.Q5_K_M.gguf');
    assert.equal(formatLink({ kind: 'version', version: '1.2.0' }), '../1.2.0');
  });
  it('round-trips through parse', () => {
    for (const t of [{ kind: 'file', version: 'v', file: 'a/b.bin' }, { kind: 'version', version: '1.0.0' }] as LinkTarget[]) {
      assert.deepEqual(target(formatLink(t)), t);
    }
  });
  it('shows targets as people read them', () => {
    assert.equal(displayTarget(target('../2024-03-20/f.gguf')), '2024-03-20/f.gguf');
    assert.equal(displayTarget({ version: '1.0.0' }), '1.0.0');
    assert.equal(formatChain(['latest', 'v2', '2024-03-20/f.gguf']), 'latest -> v2 -> 2024-03-20/f.gguf');
    // beside the tag's own name: the rest of the chain only
    assert.equal(formatChainAfterTag(['latest', 'v2', '2024-03-20/f.gguf']), '-> v2 -> 2024-03-20/f.gguf');
    assert.equal(formatChainAfterTag(['v1', '2024-01-15']), '-> 2024-01-15');
  });
});

describe('links: resolving chains', () => {
  it('follows latest -> v2 -> file and reports the chain', async () => {
    const r = await resolveChain('llama-3-8b', 'latest', lookup(chapter.tags, chapter.versions));
    assert.deepEqual(r.chain, ['latest', 'v2', '2024-03-20/llama-3-8b.Q5_K_M.gguf']);
    assert.deepEqual(r.end, { version: '2024-03-20', file: 'llama-3-8b.Q5_K_M.gguf' });
    assert.deepEqual(r.texts, ['v2', '../2024-03-20/llama-3-8b.Q5_K_M.gguf']);
  });
  it('follows the shorthand form', async () => {
    const r = await resolveChain('llama-3-8b', 'v1', lookup(chapter.tags, chapter.versions));
    assert.deepEqual(r.chain, ['v1', '2024-01-15/llama-3-8b.Q4_K_M.gguf']);
  });
  it('treats a bare name that is not a tag but is a version as that version', async () => {
    const r = await resolveChain('m', 'stable', lookup({ stable: '2024-03-20' }, chapter.versions));
    assert.deepEqual(r.end, { version: '2024-03-20' });
    assert.deepEqual(r.chain, ['stable', '2024-03-20']);
  });
  it('prefers a tag over a version of the same name (the symlink points into tags/)', async () => {
    const r = await resolveChain('m', 'a', lookup({ a: '2024-03-20', '2024-03-20': '../2024-01-15' }, chapter.versions));
    assert.deepEqual(r.chain, ['a', '2024-03-20', '2024-01-15']);
  });
  it('throws NotFound for a missing first tag', async () => {
    await brokenReason(resolveChain('m', 'nope', lookup({})), 'NotFound');
  });
  it('detects a cycle and names it', async () => {
    const msg = await brokenReason(resolveChain('m', 'a', lookup({ a: 'b', b: 'c', c: 'a' })));
    assert.match(msg, /cycle/);
    assert.match(msg, /a -> b -> c -> a/);
  });
  it('detects a self-link', async () => {
    assert.match(await brokenReason(resolveChain('m', 'a', lookup({ a: 'a' }))), /cycle/);
  });
  it('stops long chains without hanging', async () => {
    const tags: Record<string, string> = {};
    for (let i = 0; i < 40; i++) tags[`t${i}`] = `t${i + 1}`;
    tags.t40 = '../2024-03-20';
    const l = lookup(tags, chapter.versions);
    assert.match(await brokenReason(resolveChain('m', 't0', l)), new RegExp(`longer than ${MAX_CHAIN}`));
    assert.ok(l.reads <= MAX_CHAIN + 1);
  });
  it('reports dangling links: missing tag, version, or file', async () => {
    assert.match(await brokenReason(resolveChain('m', 'a', lookup({ a: 'ghost' }, chapter.versions))), /'ghost'.*does not exist/);
    assert.match(await brokenReason(resolveChain('m', 'a', lookup({ a: '../tags/ghost' }, chapter.versions))), /tag 'ghost'/);
    assert.match(await brokenReason(resolveChain('m', 'a', lookup({ a: '../1.0.0' }, chapter.versions))), /version '1.0.0'/);
    assert.match(await brokenReason(resolveChain('m', 'a', lookup({ a: '../2024-03-20/x.gguf' }, chapter.versions))), /2024-03-20\/x.gguf/);
  });
  it('reports escapes and malformed links in the middle of a chain with the chain so far', async () => {
    const msg = await brokenReason(resolveChain('m', 'latest', lookup({ latest: 'v2', v2: '../../other/1.0/x' }, chapter.versions)));
    assert.match(msg, /tag 'v2'.*leaves the model/);
    assert.match(msg, /latest -> v2/);
    assert.match(await brokenReason(resolveChain('m', 'a', lookup({ a: 'x\ny' }))), /more than one line/);
  });
  it('turns a backend refusing to read a link into BrokenLink', async () => {
    const l: LinkLookup = {
      readTag: async (t) => {
        if (t === 'b') throw new RepoError('BrokenLink', 'read link', 'm/tags/b', 'the link object is not text');
        return 'b';
      },
      targetState: async () => 'ok',
    };
    assert.match(await brokenReason(resolveChain('m', 'a', l)), /tag 'b' is malformed: the link object is not text/);
  });
  it('says Incomplete for a chain ending in an unpublished version', async () => {
    const msg = await brokenReason(resolveChain('m', 'a', lookup({ a: '../3.0.0' }, {}, ['3.0.0'])), 'Incomplete');
    assert.match(msg, /not finished/);
  });
});
