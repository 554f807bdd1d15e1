// Copies a presigned URL for one file: a GET that works without keys until it expires. S3 connections
// only: a node in a folder repository is refused. The user picks the expiry; 7 days is S3's limit for SigV4.
// The URL is a bearer credential until it expires: it goes to the clipboard (or, where the browser
// refuses clipboard access, into the notification), never into the log.
import * as vscode from 'vscode';
import { RepoError } from '../core/errors';
import { copyText } from './input';
import { cancelled, inS3, options, pickRef } from './pick';
import type { Services } from './services';

export const EXPIRIES = [
  { label: '15 minutes', seconds: 15 * 60 },
  { label: '1 hour', seconds: 3600 },
  { label: '1 day', seconds: 86400 },
  { label: '7 days', seconds: 7 * 86400, detail: 'the longest S3 allows' },
];

const ACTION = 'copy presigned URL for';

export async function copyPresignedUrl(s: Services, node: unknown, raw: unknown): Promise<string> {
  const a = options<{ expiresIn: number }>(raw);
  const n = await pickRef(s, await inS3(s, node, ACTION), ACTION);
  return s.repos.use(n.place, async ({ repo }) => {
    let version: string;
    let file: string;
    if (n.kind === 'artifact') {
      version = n.info.version;
      file = n.info.name;
    } else {
      const r = await repo.resolve(n.kind === 'tag' ? { model: n.model, tag: n.info.name } : { model: n.model, version: n.info.name });
      const files = r.artifacts.filter((x) => !x.problem);
      if (files.length !== 1) {
        const picked = await vscode.window.showQuickPick(files.map((x) => x.name), { placeHolder: 'Which file?' });
        if (!picked) throw cancelled(ACTION, n.model);
        file = picked;
      } else {
        file = files[0].name;
      }
      version = r.version;
    }
    let seconds = a.expiresIn;
    if (seconds === undefined) {
      const picked = await vscode.window.showQuickPick(EXPIRIES.map((e) => ({ ...e, description: e.detail })),
        { placeHolder: `The link for ${file} stops working after` });
      if (!picked) throw cancelled(ACTION, file);
      seconds = picked.seconds;
    }
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 7 * 86400) {
      throw new RepoError('InvalidRef', ACTION, file, `an expiry of ${seconds} s is outside 1 s .. 7 days`);
    }
    const url = await repo.shareUrl(n.model, version, file, seconds);
    const copied = await copyText(url);
    const label = EXPIRIES.find((e) => e.seconds === seconds)?.label ?? `${seconds} s`;
    s.notify.info(copied ? `Copied a link to ${file}, valid for ${label}.` : url);
    s.log.info(`presigned URL for ${n.model}@${version}/${file}, valid for ${label}`);
    return url;
  });
}
