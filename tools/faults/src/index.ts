export type { Judged } from './judge-run.ts';
export type { AllInOne, LogLine } from './pipeline.ts';
export type {
  FaultScenario,
  PipelineRun,
  Profile,
  ScenarioContext,
  ScenarioReport,
  SuiteInput,
} from './scenario.ts';
export { SCENARIOS } from './scenarios/index.ts';
export { formatOutcome, passed, runSuite, type ScenarioOutcome } from './suite.ts';
