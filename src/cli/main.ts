// Entry of the `modelrepo` command-line tool (bundled to dist/cli.js by scripts/build.mjs).
// Design: one file per command under commands/, listed once in COMMANDS below; this file only parses the
// command line, wires SIGINT / SIGTERM to an AbortSignal (processGuards.ts), and turns errors into exit
// codes (exitCodes.ts).
// Arguments are parsed with node:util parseArgs (built into Node >= 18.3): commander's current major
// needs Node 22 and the CLI must run on Node 20.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { registerSecret } from '../core/errors';
import { GLOBAL_OPTIONS } from './command';
import type { CommandContext, CommandSpec, GlobalFlags, OptionSpec } from './command';
import { applyCommand } from './commands/apply';
import { prefetchCommand } from './commands/prefetch';
import { cardCommand } from './commands/card';
import { clusterServicesCommand } from './commands/clusterServices';
import { clusterCommand } from './commands/cluster';
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
import { verifyPodCommand } from './commands/verifyPod';
import { debugText, describeError, EXIT, exitCodeOf, PartialResult, UsageError } from './exitCodes';
import { globalFlagsFrom } from './globalFlags';
import { commandHelp, mainHelp } from './help';
import { splitNodeCacheValue } from './nodeCacheFlags';
import { createOutput } from './output';
import { cancelExitCode, cancelOnSignals, guardOutputStreams, routeWarnings } from './processGuards';

export const COMMANDS: readonly CommandSpec[] = [
  lsCommand, uploadCommand, tagCommand, untagCommand, resolveCommand, historyCommand,
  manifestCommand, applyCommand, prefetchCommand, downloadCommand, rmCommand, shareCommand, importCommand, infoCommand, searchCommand, cardCommand,
  clusterCommand, clusterServicesCommand, verifyPodCommand,
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
    const rest = splitNodeCacheValue(argv.filter((_, i) => i !== cmdToken.index));
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
    // parseArgs took the options from this spec, so the values have the types its flags declare.
    const v = parsed.values as CommandContext['flags'];
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
    const global: GlobalFlags = globalFlagsFrom(v, `modelrepo ${spec.usage}`);
    await spec.run({ args, flags: v, global, out: createOutput({ json, quiet: global.quiet }), signal });
    return EXIT.ok;
  } catch (e) {
    // After SIGINT / SIGTERM whatever failed failed because of the cancel (a usage error aside).
    const cancelled = signal.aborted && exitCodeOf(e) !== EXIT.usage;
    const { lines, report } = describeError(cancelled ? signal.reason ?? e : e);
    const code = cancelled ? cancelExitCode(signal.reason) : report.exitCode;
    // A command that printed its result and then fails (ls with refused entries) already wrote its document.
    if (json && !(e instanceof PartialResult)) process.stdout.write(`${JSON.stringify({ error: { ...report, exitCode: code } }, null, 2)}\n`);
    for (const l of lines) process.stderr.write(`modelrepo: ${l}\n`);
    if (process.env.MODELREPO_DEBUG === '1' && !cancelled) process.stderr.write(`${debugText(e)}\n`);
    return code;
  }
}

export function start(): void {
  const debug = process.env.MODELREPO_DEBUG === '1';
  routeWarnings(debug);
  guardOutputStreams();
  // Secrets that arrive through the environment never appear in messages.
  registerSecret(process.env.AWS_SECRET_ACCESS_KEY);
  registerSecret(process.env.AWS_SESSION_TOKEN);
  registerSecret(process.env.HF_TOKEN);
  // The CLI supports Node 20 on purpose (engines >= 20); the SDK's "Node 22 needed from 2027" notice on
  // every S3 command would only clutter stderr. Shown again with MODELREPO_DEBUG=1.
  if (!debug) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const controller = cancelOnSignals();
  void run(process.argv.slice(2), controller.signal).then((code) => {
    process.exitCode = code;
    // Idle keep-alive sockets or SDK timers must not keep a finished command alive.
    setTimeout(() => process.exit(code), 1500).unref();
  });
}

if (require.main === module) start();
