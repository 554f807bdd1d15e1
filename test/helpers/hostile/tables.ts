// Every table of the hostile-input catalogue, in the order the runner runs them.
import { DEST_ROWS } from './rowsDest';
import { ENV_ROWS } from './rowsEnv';
import { NETWORK_ROWS } from './rowsNetwork';
import { FOLDER_ROWS } from './rowsFolders';
import { INTEGRITY_ROWS } from './rowsIntegrity';
import { KUBE_ROWS } from './rowsKube';
import { LINK_ROWS } from './rowsLinks';
import { LOCAL_ROWS } from './rowsLocal';
import { NAME_ROWS } from './rowsNames';
import { PROCESS_ROWS } from './rowsProcess';
import type { Table } from './types';

export const TABLES: readonly Table[] = [NAME_ROWS, LINK_ROWS, DEST_ROWS, FOLDER_ROWS, INTEGRITY_ROWS, LOCAL_ROWS, KUBE_ROWS, PROCESS_ROWS, ENV_ROWS, NETWORK_ROWS];
