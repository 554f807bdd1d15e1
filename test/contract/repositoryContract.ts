// The repository contract: one suite, run against every storage backend (contract.fs.test.ts on a
// temp folder, contract.s3.test.ts on the real Ceph RGW under a prefix). Each describe block gets a
// fresh, empty repository root from `make`; rawPut / rawLink write the way other tools do, so the
// tests about repositories written by mc cp, aws s3 cp or `ln -s` are honest.
import { describe } from 'node:test';
import type { MakeHarness } from './contractHelpers';
import { brokenLinksContract, chapterLayoutContract, pagingContract } from './browseContract';
import { downloadContract } from './downloadContract';
import { listingContract } from './listingContract';
import { hostileNamesContract, symlinkContract } from './hostileContract';
import { markersContract } from './markersContract';
import { recordsContract } from './recordsContract';
import { streamUploadContract } from './streamUploadContract';
import { tagsContract } from './tagsContract';
import { uploadContract } from './uploadContract';

export type { ContractHarness, MakeHarness } from './contractHelpers';

export function repositoryContract(name: string, make: MakeHarness): void {
  describe(`repository contract on ${name}`, () => {
    chapterLayoutContract(make);
    brokenLinksContract(make);
    pagingContract(make);
    uploadContract(make);
    streamUploadContract(make);
    tagsContract(make);
    hostileNamesContract(make);
    symlinkContract(make);
    recordsContract(make);
    downloadContract(make);
    markersContract(make);
    listingContract(make);
  });
}
