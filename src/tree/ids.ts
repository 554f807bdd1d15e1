// Tree node ids, spelled in this one module. An id says where a node lives (`c:<connection>` or
// `b:<connection>/<bucket>`, then `/m:<model>`, `/tags`, `/t:<tag>`, `/v:<version>`, `/a:<file>`), so
// VS Code keeps expansion and selection across refreshes, a parent can be rebuilt from its child
// (parents.ts), and the pages and filters of a root are kept under its id. What hangs under a node
// without being stored (a message, "Load more") is a slot after `#`.
import type { Place } from '../vscode/repositories';

export function connectionNodeId(connectionId: string): string {
  return `c:${connectionId}`;
}

/** The id of the node that lists a place's models: its bucket, or the folder connection. */
export function rootNodeId(place: Place): string {
  return place.bucket === undefined ? connectionNodeId(place.connectionId) : `b:${place.connectionId}/${place.bucket}`;
}

export function modelNodeId(place: Place, model: string): string {
  return `${rootNodeId(place)}/m:${model}`;
}

export function tagsGroupNodeId(place: Place, model: string): string {
  return `${modelNodeId(place, model)}/tags`;
}

export function versionNodeId(place: Place, model: string, version: string): string {
  return `${modelNodeId(place, model)}/v:${version}`;
}

export function tagNodeId(place: Place, model: string, tag: string): string {
  return `${modelNodeId(place, model)}/t:${tag}`;
}

export function artifactNodeId(place: Place, model: string, version: string, file: string): string {
  return `${versionNodeId(place, model, version)}/a:${file}`;
}

/** Something shown under a node that is not stored: `message`, `refused`, `more`. */
export function slotNodeId(parentId: string, slot: string): string {
  return `${parentId}#${slot}`;
}

/** Whether the node `id` is `ancestorId` itself or lies below it. */
export function isWithin(id: string, ancestorId: string): boolean {
  return id === ancestorId || id.startsWith(`${ancestorId}/`);
}
