// Each command declares its options once: the parser, the --help rows and the types of ctx.flags all
// come from that spec. The type checks below are compile-time: `tsc` fails if a misspelt flag compiles.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defineCommand, GLOBAL_OPTIONS } from '../../src/cli/command';
import type { CommandContext } from '../../src/cli/command';
import { commandHelp, optionRows } from '../../src/cli/help';
import { COMMANDS } from '../../src/cli/main';
import { createOutput } from '../../src/cli/output';

const probe = defineCommand({
  name: 'probe', summary: 'reads its flags', usage: 'probe', help: '',
  options: {
    tag: { type: 'string', value: '<tag>', description: 'a string' },
    force: { type: 'boolean', description: 'a switch' },
    include: { type: 'string', multiple: true, value: '<pattern>', description: 'a list' },
  },
  args: { min: 0 },
  async run(ctx) {
    const tag: string | undefined = ctx.flags.tag;
    const force: boolean | undefined = ctx.flags.force;
    const include: readonly string[] | undefined = ctx.flags.include;
    const context: string | undefined = ctx.flags['cluster-context'];
    // @ts-expect-error a flag the command does not declare does not compile
    void ctx.flags.tga;
    // @ts-expect-error a string flag is not a boolean
    const wrong: boolean | undefined = ctx.flags.tag;
    void wrong;
    ctx.out.data({ tag, force, include, context });
  },
});

describe('command flags from the option spec', () => {
  it('hands run() the parsed values under the declared names', async () => {
    let seen: unknown;
    const out = { ...createOutput({ json: true, quiet: true }), data: (d: unknown) => { seen = d; } };
    const ctx = {
      args: [], global: { json: true, quiet: true, timeouts: {} }, out, signal: new AbortController().signal,
      flags: { tag: 'v1', force: true, include: ['*.gguf'], 'cluster-context': 'prod' },
    } as unknown as CommandContext<NonNullable<typeof probe.options>>;
    await probe.run(ctx);
    assert.deepEqual(seen, { tag: 'v1', force: true, include: ['*.gguf'], context: 'prod' });
  });

  it('no command declares an option that a global option already names', () => {
    for (const c of COMMANDS) {
      const clash = Object.keys(c.options ?? {}).filter((n) => n in GLOBAL_OPTIONS);
      assert.deepEqual(clash, [], `${c.name} redeclares ${clash.join(', ')}`);
    }
  });

  it('writes a help row per option, an optional value right after the name', () => {
    assert.deepEqual(optionRows({
      'node-cache': { type: 'boolean', value: '[=<dir>]', description: 'd' },
      tag: { type: 'string', value: '<tag>', description: 't' },
      quiet: { type: 'boolean', short: 'q', description: 'q' },
    }), [['    --node-cache[=<dir>]', 'd'], ['    --tag <tag>', 't'], ['-q, --quiet', 'q']]);
    const manifest = COMMANDS.find((c) => c.name === 'manifest');
    assert.ok(manifest);
    assert.match(commandHelp(manifest), /^ {6}--node-cache\[=<dir>\] +download once per node/m);
  });
});
