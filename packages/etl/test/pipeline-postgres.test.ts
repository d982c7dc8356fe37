import { openServerPools } from './support/server-pools.js';
import { definePipelineSuite } from './support/pipeline-suite.js';

/** The pipeline against the PostgreSQL server, read through COPY (the default). */
definePipelineSuite('pipeline on PostgreSQL + chDB (COPY)', openServerPools, 'copy');
