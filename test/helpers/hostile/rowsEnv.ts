// Catalogue rows: hostile or broken connection settings. Wrong keys, a malformed mc alias, a broken
// AWS profile or a malformed timeout: the right exit code, the setting named, and no secret printed
// (each row plants its own).
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { MODEL, goodModel } from './seed';
import type { Ctx, Row, Table } from './types';

const WRONG_SECRET = 'planted-wrong-secret-0b7e';
const MC_SECRET = 'planted-mc-secret-6d2a';
const PROFILE_SECRET = 'planted-profile-secret-4f1c';

const S3 = ['s3'] as const;
const endpointOf = (c: Ctx): string => c.b.args[c.b.args.indexOf('--endpoint') + 1];
/** The row's bucket and prefix, for references written another way than s3://. */
const bucketPath = (c: Ctx): string => c.b.repo.replace(/^s3:\/\//, '');

const rows: Row[] = [
  { id: 'E01', title: 'a wrong secret key is exit 5 and the key is not printed', setup: goodModel, on: S3,
    cmd: (c) => ['ls', c.ref(MODEL)], env: () => ({ AWS_SECRET_ACCESS_KEY: WRONG_SECRET }), exit: 5, message: /s3:\/\//, secrets: () => [WRONG_SECRET] },
  {
    id: 'E02', title: 'an mc alias (MC_HOST_) with its secret, on a bucket that does not exist: exit 3, secret not printed', on: S3,
    setup: async () => undefined, cmd: () => ['ls', 'hx/no-such-bucket-for-this-row/m'],
    env: (c) => {
      const u = new URL(endpointOf(c));
      return { MC_HOST_hx: `${u.protocol}//${c.b.env.AWS_ACCESS_KEY_ID}:${c.secrets.s3SecretKey}@${u.host}` };
    },
    exit: 3, message: /no-such-bucket-for-this-row/,
  },
  {
    id: 'E03', title: 'a malformed mc alias (port not a number) is exit 2 naming the variable, not its secret', on: S3,
    setup: async () => undefined, cmd: (c) => ['ls', `hx/${bucketPath(c)}`], env: () => ({ MC_HOST_hx: `http://key:${MC_SECRET}@127.0.0.1:notaport` }),
    exit: 2, message: /MC_HOST_hx/, secrets: () => [MC_SECRET],
  },
  {
    id: 'E04', title: 'an AWS profile whose endpoint_url is not a URL is exit 2 naming the profile, not its secret', on: S3,
    setup: async (c) => {
      await fsp.mkdir(join(c.work, 'home', '.aws'), { recursive: true });
      await fsp.writeFile(join(c.work, 'home', '.aws', 'config'), '[profile lab]\nregion = us-east-1\nendpoint_url = ::not a url::\n');
      await fsp.writeFile(join(c.work, 'home', '.aws', 'credentials'), `[lab]\naws_access_key_id = AKIAPLANTED\naws_secret_access_key = ${PROFILE_SECRET}\n`);
    },
    cmd: (c) => ['ls', c.b.repo, '--profile', 'lab'], env: () => ({ AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' }),
    exit: 2, message: /lab|endpoint_url/, secrets: () => [PROFILE_SECRET],
  },
  {
    id: 'E05', title: 'a malformed MODELREPO_STALL_TIMEOUT is exit 2 naming the variable', on: S3, setup: goodModel,
    cmd: (c) => ['ls', c.ref(MODEL)], env: () => ({ MODELREPO_STALL_TIMEOUT: 'forever' }), exit: 2, message: /MODELREPO_STALL_TIMEOUT/,
  },
  {
    id: 'E06', title: 'a session token and a wrong key: exit 5, neither printed', on: S3, setup: goodModel,
    cmd: (c) => ['resolve', c.ref(MODEL, ':latest')], env: () => ({ AWS_SECRET_ACCESS_KEY: WRONG_SECRET }), exit: 5, message: /s3:\/\/|m:latest|latest/,
    secrets: () => [WRONG_SECRET],
  },
];

export const ENV_ROWS: Table = { title: 'hostile connection settings', rows };
