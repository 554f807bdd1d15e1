// The CLI reaches S3 through the files mc and the AWS CLI write (an mc alias in ~/.mc/config.json, an AWS
// profile with endpoint_url), and says a wrong secret key is an authentication problem without printing it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { show } from '../helpers/childRun';
import { cliHarness, Q4 } from '../helpers/cliHarness';
import { s3TestEnv, skipWithoutS3 } from '../helpers/s3env';

const h = cliHarness('connections');
const { cli, newBucket } = h;

describe('connections from the files mc and the AWS CLI write', { skip: skipWithoutS3 }, () => {
  it('lists a bucket through the alias mc wrote, without any AWS_* variable', async () => {
    const s3 = s3TestEnv();
    assert.ok(s3);
    const bucket = await newBucket('cli-mccfg');
    const cfgHome = join(h.work, 'mc-home');
    mkdirSync(join(cfgHome, '.mc'), { recursive: true });
    writeFileSync(join(cfgHome, '.mc', 'config.json'), JSON.stringify({
      version: '10',
      aliases: { cfgalias: { url: s3.endpoint, accessKey: s3.accessKeyId, secretKey: s3.secretAccessKey, api: 's3v4', path: 'auto' } },
    }));
    const up = await cli(['upload', `cfgalias/${bucket}/m@1.0.0`, join(h.work, Q4), '--json'], { HOME: cfgHome });
    assert.equal(up.code, 0, show(up));
    const r = await cli(['ls', `cfgalias/${bucket}`, '--json'], { HOME: cfgHome });
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(JSON.parse(r.stdout).models, ['m']);
  });

  it('says a wrong secret key is an authentication problem (exit 5) without printing it', async () => {
    const s3 = s3TestEnv();
    assert.ok(s3);
    const wrong = `${s3.secretAccessKey}-wrong`;
    const r = await cli(['ls', 's3://any-bucket-name', '--endpoint', s3.endpoint],
      { AWS_ACCESS_KEY_ID: s3.accessKeyId, AWS_SECRET_ACCESS_KEY: wrong });
    assert.equal(r.code, 5, show(r));
    assert.match(r.stderr, /^modelrepo: Cannot /m);
    assert.ok(!r.stderr.includes(wrong));
  });

  it('uses an AWS profile with its endpoint_url for s3:// references (--profile)', async () => {
    const s3 = s3TestEnv();
    assert.ok(s3);
    const bucket = await newBucket('cli-profile');
    const awsHome = join(h.work, 'aws-home');
    mkdirSync(join(awsHome, '.aws'), { recursive: true });
    writeFileSync(join(awsHome, '.aws', 'config'), `[profile lab]\nregion = ${s3.region}\nendpoint_url = ${s3.endpoint}\n`);
    writeFileSync(join(awsHome, '.aws', 'credentials'), `[lab]\naws_access_key_id = ${s3.accessKeyId}\naws_secret_access_key = ${s3.secretAccessKey}\n`);
    const up = await cli(['upload', `s3://${bucket}/p/m@1.0.0`, join(h.work, Q4), '--profile', 'lab'], { HOME: awsHome });
    assert.equal(up.code, 0, show(up));
    const r = await cli(['ls', `s3://${bucket}/p`, '--json'], { HOME: awsHome, AWS_PROFILE: 'lab' });
    assert.equal(r.code, 0, show(r));
    assert.deepEqual(JSON.parse(r.stdout).models, ['m']);
    const missing = await cli(['ls', `s3://${bucket}`, '--profile', 'nope'], { HOME: awsHome });
    assert.equal(missing.code, 2, show(missing));
    assert.match(missing.stderr, /profile 'nope'/);
  });
});
