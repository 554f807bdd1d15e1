// Every command of the extension, in one list: id, the action named in its error messages, handler.
// Each handler lives in its own file; registerCommands() wraps all of them with the one error
// translator (vscode/commandWrapper.ts). package.json's `contributes.commands` lists the same ids.
import type * as vscode from 'vscode';
import { asNode } from '../tree/nodes';
import { registerWrapped } from '../vscode/commandWrapper';
import { abDeployment } from './abDeployment';
import { addClusterConnection } from './addClusterConnection';
import { addFolderConnection } from './addFolderConnection';
import { addS3Connection } from './addS3Connection';
import { applyManifest } from './applyManifest';
import { applyToCluster } from './applyToCluster';
import { prefetchToNodes } from './prefetchToNodes';
import { removePrefetch } from './removePrefetch';
import { copyPresignedUrl } from './copyPresignedUrl';
import { copyS3Uri } from './copyS3Uri';
import { createModelCard } from './createModelCard';
import { createTag } from './createTag';
import { deleteTag } from './deleteTag';
import { deleteVersion } from './deleteVersion';
import { deployMinioCommand } from './deployMinio';
import { download } from './download';
import { editConnection } from './editConnection';
import { filterModels } from './filterModels';
import { generateManifest } from './generateManifest';
import { importConnections } from './importConnections';
import { importFromHuggingFace } from './importFromHuggingFace';
import { loadMore } from './loadMore';
import { moveTag } from './moveTag';
import { openModelCard } from './openModelCard';
import { refresh } from './refresh';
import { removeConnection } from './removeConnection';
import { rollbackTag } from './rollbackTag';
import { searchModels } from './searchModels';
import type { Services } from './services';
import { setHuggingFaceToken } from './setHuggingFaceToken';
import { showLog } from './showLog';
import { showVersionDetails } from './showVersionDetails';
import { tagHistory } from './tagHistory';
import { testConnection } from './testConnection';
import { upload } from './upload';
import { verifyModelInPod } from './verifyModelInPod';

type Handler = (s: Services, node: unknown, args: unknown) => Promise<unknown>;

/** [command id suffix, action for messages ("Cannot <action>: ..."), handler] */
export const COMMANDS: readonly (readonly [string, string, Handler])[] = [
  ['refresh', 'refresh', refresh],
  ['addS3Connection', 'add S3 connection', addS3Connection],
  ['addFolderConnection', 'open folder as repository', addFolderConnection],
  ['addClusterConnection', 'add connection from cluster', addClusterConnection],
  ['importConnections', 'import connections', importConnections],
  ['editConnection', 'edit connection', editConnection],
  ['removeConnection', 'remove connection', removeConnection],
  ['testConnection', 'test connection', testConnection],
  ['upload', 'upload', upload],
  ['createTag', 'create tag', createTag],
  ['moveTag', 'move tag', moveTag],
  ['deleteTag', 'delete tag', deleteTag],
  ['tagHistory', 'show tag history', tagHistory],
  ['rollbackTag', 'roll back tag', rollbackTag],
  ['generateManifest', 'generate manifest', generateManifest],
  ['applyManifest', 'apply manifest', applyManifest],
  ['applyToCluster', 'apply to cluster', applyToCluster],
  ['prefetchToNodes', 'pre-pull to nodes', prefetchToNodes],
  ['removePrefetch', 'remove pre-pull from nodes', removePrefetch],
  ['abDeployment', 'make A/B deployment', abDeployment],
  ['deployMinio', 'deploy MinIO to cluster', deployMinioCommand],
  ['verifyModelInPod', 'verify model in pod', verifyModelInPod],
  ['download', 'download', download],
  ['copyS3Uri', 'copy S3 URI', copyS3Uri],
  ['copyPresignedUrl', 'copy presigned URL', copyPresignedUrl],
  ['deleteVersion', 'delete version', deleteVersion],
  ['filterModels', 'filter models', filterModels],
  ['loadMore', 'load more models', loadMore],
  ['showLog', 'show log', (s) => showLog(s)],
  ['showVersionDetails', 'show version details', showVersionDetails],
  ['openModelCard', 'open model card', openModelCard],
  ['createModelCard', 'create model card', createModelCard],
  ['searchModels', 'search models', searchModels],
  ['importFromHuggingFace', 'import from Hugging Face', importFromHuggingFace],
  ['setHuggingFaceToken', 'set Hugging Face token', setHuggingFaceToken],
];

export function registerCommands(s: Services): vscode.Disposable[] {
  // A keybinding passes one argument, its `args`: that object is then the options, and the node is picked.
  return COMMANDS.map(([id, action, handler]) =>
    registerWrapped(`modelRepository.${id}`, action, s.log, s.notify,
      (node: unknown, args: unknown) => handler(s, node, args === undefined && !asNode(node) ? node : args)));
}
