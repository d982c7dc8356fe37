import { openServerPools } from './support/server-pools.js';
import { definePipelineSuite } from './support/pipeline-suite.js';

/** The pipeline against the PostgreSQL server, read through server-side cursors. */
definePipelineSuite('pipeline on PostgreSQL + chDB (cursor)', openServerPools, 'cursor');
