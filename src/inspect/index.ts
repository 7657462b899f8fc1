/** What a runbook can ask of a server: one file per inspection, each taking an Executor and returning evidence. */
export { inspectListening, inspectPort, isListening, parseSsListening, type ListeningEvidence, type ListeningSocket, type PortEvidence } from './listening.ts';
export { inspectConnections, summarizeConnections, type ConnectionsEvidence, type ConnectionSource } from './connections.ts';
export { inspectProcesses, inspectMaster, masterProcess, processesNamed, parsePs, type ProcessesEvidence, type ProcessEntry, type MasterEvidence } from './processes.ts';
export { inspectServiceState, lsbState, type ServiceStateEvidence, type ServiceManager, type ServiceStateName } from './service-state.ts';
export { inspectApacheWorkers, type ApacheWorkersEvidence, type Ah00161, type SettingAt } from './apache-workers.ts';
export { inspectErrorLog, type ErrorLogEvidence, type LogLine } from './error-log.ts';
export { inspectDiskUsage, inspectDeletedOpenFiles, inspectInodeHogs, type DiskUsageEvidence, type DeletedFilesEvidence, type InodeHogsEvidence } from './disk-usage.ts';
export { parseProcNetTcp, readTcpTable, type TcpSocket, type TcpState } from './proc-net-tcp.ts';
export { InspectionError, type Evidence } from './types.ts';
