// --help texts, built from the command specs so the usage lines cannot drift from the parser.
import { GLOBAL_OPTIONS } from './command';
import type { CommandSpec, OptionSpecs } from './command';
import { table } from './format';

/** One row per option: '-q, --quiet', '    --tag <tag>', '    --node-cache[=<dir>]' (an optional value sticks to the name). */
export function optionRows(options: OptionSpecs): string[][] {
  return Object.entries(options).map(([name, o]) => [
    `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? `${o.value.startsWith('[') ? '' : ' '}${o.value}` : ''}`, o.description,
  ]);
}

export function mainHelp(commands: readonly CommandSpec[], version: string): string {
  return [
    `modelrepo ${version}: AI models in S3 / MinIO or on a shared filesystem, versioned and tagged`,
    '',
    'usage: modelrepo <command> [arguments] [options]',
    '',
    'A reference names a model in a repository:  <repo>/<model>[:<tag> | @<version>[/<file>]]',
    '  <repo> is  <mc alias>/<bucket>[/<prefix>]   e.g. localai/models/llama-3-8b:latest',
    '             s3://<bucket>[/<prefix>]         e.g. s3://models/llama-3-8b@2024-03-20',
    '             a folder: /path, ./path, ../path e.g. /srv/models/llama-3-8b:v1',
    '',
    'commands:',
    table(commands.map((c) => [c.name, c.summary]), '  '),
    '',
    'options for every command:',
    table([...optionRows(GLOBAL_OPTIONS), ['    --version', 'print the version']], '  '),
    '',
    "Run 'modelrepo <command> --help' for a command's options and examples.",
    'Exit codes: 0 ok (also when the reader of stdout closed it), 1 unexpected, 2 usage, 3 not found,',
    '            4 conflict, 5 auth or permission, 6 network, 7 integrity, 8 exists or in use,',
    '            9 broken, unfinished, unsafe or corrupt, 130 cancelled (SIGINT), 143 terminated (SIGTERM).',
    '',
  ].join('\n');
}

export function commandHelp(c: CommandSpec): string {
  const lines = [`usage: modelrepo ${c.usage}`, '', c.summary];
  if (c.help) lines.push('', c.help.trimEnd());
  if (c.options && Object.keys(c.options).length > 0) lines.push('', 'options:', table(optionRows(c.options), '  '));
  lines.push('', 'global options:', table(optionRows(GLOBAL_OPTIONS), '  '), '');
  return lines.join('\n');
}
