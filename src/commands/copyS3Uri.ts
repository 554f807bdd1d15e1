// Copies where a node lives: `s3://bucket/prefix/model/version/file`. S3 connections only: a node in a
// folder repository is refused (its menus do not offer the command).
import * as vscode from 'vscode';
import { RepoError } from '../core/errors';
import { artifactKey, modelPrefix, tagKey, versionPrefix } from '../core/layout';
import { placeOf } from '../tree/nodes';
import { copyText } from './input';
import { inS3, pickRef } from './pick';
import type { Services } from './services';

const ACTION = 'copy S3 URI of';

export async function copyS3Uri(s: Services, node: unknown): Promise<string> {
  const start = await inS3(s, node, ACTION);
  const n = ['bucket', 'model', 'tagsGroup', 'version', 'tag', 'artifact'].includes(start.kind) ? start : await pickRef(s, start, ACTION);
  const place = placeOf(n);
  if (!place) throw new RepoError('InvalidRef', ACTION, n.id, 'this node has no location');
  let key: string;
  switch (n.kind) {
    case 'artifact': key = artifactKey(n.model, n.info.version, n.info.name); break;
    case 'version': key = versionPrefix(n.model, n.info.name); break;
    case 'tag': key = tagKey(n.model, n.info.name); break;
    case 'model': case 'tagsGroup': key = modelPrefix(n.model); break;
    default: key = '';
  }
  const uri = await s.repos.uriOf(place, key);
  const copied = await copyText(uri);
  if (copied) vscode.window.setStatusBarMessage(`$(clippy) Copied ${uri}`, 4000);
  else s.notify.info(uri);
  s.log.info(`copied ${uri}`);
  return uri;
}
