// Entry of the `modelrepo` command-line tool (bundled to dist/cli.js by scripts/build.mjs).
// Design: one file per command under commands/, listed once in COMMANDS below; this file only parses the
// command line, wires Ctrl-C to an AbortSignal, and turns errors into exit codes (exitCodes.ts).
// Arguments are parsed with node:util parseArgs (built into Node >= 18.3): commander's current major
// needs Node 22 and the CLI must run on Node 20.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { registerSecret } from '../core/errors';
import { GLOBAL_OPTIONS } from './command';
import type { CommandSpec, GlobalFlags, OptionSpec } from './command';
import { applyCommand } from './commands/apply';
import { cardCommand } from './commands/card';
import { downloadCommand } from './commands/download';
import { historyCommand } from './commands/history';
import { importCommand } from './commands/import';
import { infoCommand } from './commands/info';
import { lsCommand } from './commands/ls';
import { manifestCommand } from './commands/manifest';
import { resolveCommand } from './commands/resolve';
import { rmCommand } from './commands/rm';
import { searchCommand } from './commands/search';
import { shareCommand } from './commands/share';
import { tagCommand } from './commands/tag';
import { untagCommand } from './commands/untag';
import { uploadCommand } from './commands/upload';
import { debugText, describeError, EXIT, exitCodeOf, UsageError } from './exitCodes';
import { commandHelp, mainHelp } from './help';
import { createOutput } from './output';

export const COMMANDS: readonly CommandSpec[] = [
  lsCommand, uploadCommand, tagCommand, untagCommand, resolveCommand, historyCommand,
  manifestCommand, applyCommand, downloadCommand, rmCommand, shareCommand, importCommand, infoCommand, searchCommand, cardCommand,
];

type ParseOptions = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

function toParseOptions(...specs: Readonly<Record<string, OptionSpec>>[]): ParseOptions {
  const out: ParseOptions = {};
  for (const spec of specs) {
    for (const [name, o] of Object.entries(spec)) {
      out[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
    }
  }
  return out;
}

export function toolVersion(): string {
  // dist/cli.js -> ../package.json; out/src/cli/main.js -> ../../../package.json
  for (const rel of ['..', '../..', '../../..']) {
    try {
      const pkg = JSON.parse(readFileSync(join(__dirname, rel, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'model-repository' && pkg.version) return pkg.version;
    } catch {
      // try the next candidate
    }
  }
  return 'unknown';
}

/** Runs one command line; returns the exit code. Never throws. */
export async function run(argv: readonly string[], signal: AbortSignal): Promise<number> {
  let json = argv.includes('--json');
  let spec: CommandSpec | undefined;
  try {
    const pre = parseArgs({ args: [...argv], options: { ...toParseOptions(GLOBAL_OPTIONS), version: { type: 'boolean' } },
      strict: false, allowPositionals: true, tokens: true });
    const cmdToken = pre.tokens.find((t) => t.kind === 'positional');
    if (!cmdToken) {
      if (pre.values.version) {
        process.stdout.write(`modelrepo ${toolVersion()}\n`);
        return EXIT.ok;
      }
      // Help asked for goes to stdout; help instead of a missing command is a usage error on stderr.
      (pre.values.help ? process.stdout : process.stderr).write(mainHelp(COMMANDS, toolVersion()));
      return pre.values.help ? EXIT.ok : EXIT.usage;
    }
    const name = cmdToken.value;
    const rest = argv.filter((_, i) => i !== cmdToken.index);
    if (name === 'help') {
      const target = COMMANDS.find((c) => c.name === rest.find((a) => !a.startsWith('-')));
      process.stdout.write(target ? commandHelp(target) : mainHelp(COMMANDS, toolVersion()));
      return EXIT.ok;
    }
    spec = COMMANDS.find((c) => c.name === name);
    if (!spec) throw new UsageError(`unknown command '${name}' (commands: ${COMMANDS.map((c) => c.name).join(', ')})`, 'modelrepo <command> [options]; modelrepo --help');
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: toParseOptions(GLOBAL_OPTIONS, spec.options ?? {}), strict: true, allowPositionals: true });
    } catch (e) {
      throw new UsageError((e as Error).message.split('. To specify')[0], `modelrepo ${spec.usage}`);
    }
    const v = parsed.values as Record<string, string | boolean | string[] | undefined>;
    json = v.json === true;
    if (v.help) {
      process.stdout.write(commandHelp(spec));
      return EXIT.ok;
    }
    const args = parsed.positionals;
    if (args.length < spec.args.min) throw new UsageError(`${spec.name}: missing argument`, `modelrepo ${spec.usage}`);
    if (spec.args.max !== undefined && args.length > spec.args.max) {
      throw new UsageError(`${spec.name}: too many arguments (unexpected '${args[spec.args.max]}')`, `modelrepo ${spec.usage}`);
    }
    const global: GlobalFlags = {
      json, quiet: v.quiet === true,
      ...(typeof v.endpoint === 'string' ? { endpoint: v.endpoint } : {}),
      ...(typeof v.region === 'string' ? { region: v.region } : {}),
      ...(typeof v.profile === 'string' ? { profile: v.profile } : {}),
    };
    await spec.run({ args, flags: v, global, out: createOutput({ json, quiet: global.quiet }), signal });
    return EXIT.ok;
  } catch (e) {
    const aborted = signal.aborted;
    const { lines, report } = describeError(aborted && exitCodeOf(e) !== EXIT.usage ? signal.reason ?? e : e);
    const code = aborted ? EXIT.cancelled : report.exitCode;
    if (json) process.stdout.write(`${JSON.stringify({ error: { ...report, exitCode: code } }, null, 2)}\n`);
    for (const l of lines) process.stderr.write(`modelrepo: ${l}\n`);
    if (process.env.MODELREPO_DEBUG === '1' && code !== EXIT.cancelled) process.stderr.write(`${debugText(e)}\n`);
    return code;
  }
}

function start(): void {
  // Secrets that arrive through the environment never appear in messages.
  registerSecret(process.env.AWS_SECRET_ACCESS_KEY);
  registerSecret(process.env.AWS_SESSION_TOKEN);
  // The CLI supports Node 20 on purpose (engines >= 20); the SDK's "Node 22 needed from 2027" notice on
  // every S3 command would only clutter stderr. Shown again with MODELREPO_DEBUG=1.
  if (process.env.MODELREPO_DEBUG !== '1') process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) process.exit(EXIT.cancelled); // a second Ctrl-C does not wait for the clean-up
    process.stderr.write(`\nmodelrepo: ${sig === 'SIGINT' ? 'Ctrl-C' : sig}: cancelling (press Ctrl-C again to quit at once)\n`);
    controller.abort(Object.assign(new Error('cancelled'), { name: 'AbortError' }));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  void run(process.argv.slice(2), controller.signal).then((code) => {
    process.exitCode = code;
    // Idle keep-alive sockets or SDK timers must not keep a finished command alive.
    setTimeout(() => process.exit(code), 1500).unref();
  });
}

if (require.main === module) start();
