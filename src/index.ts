/**
 * arpinject library API. Everything the CLI does is available here:
 *   import { probe } from 'arpinject';
 *   const r = await probe({ iface: 'bond0', targets: ['10.0.0.2'], sip: '10.0.0.1' });
 */

// Probing: craft, send, capture, correlate.
export { probe, planProbe } from './probe/probe.js';
export type { ProbeOptions, ProbeResult, ResolvedProbe } from './probe/probe.js';
export { runSession, DEFAULT_TIMEOUT_MS, DEFAULT_INTERVAL_MS } from './probe/session.js';
export type { SessionOptions, SessionResult, PlannedRequest, RunningStats, StoppedBy } from './probe/session.js';
export { announce, dad, announceFrame, probeFrame } from './probe/claims.js';
export type { AnnounceOptions, AnnounceResult, AnnounceSummary, DadOptions, DadResult, DadSummary, ClaimRecord, ClaimHow } from './probe/claims.js';
export { RFC5227, FAST_DAD, DEFAULT_ANNOUNCE, dadPlan, announcePlan } from './probe/timing.js';
export type { DadTiming, AnnounceTiming, SendPlan } from './probe/timing.js';
export type { ProbeRecord, ReplyRecord, TimeoutRecord, UnsolicitedRecord, ProbeSummary } from './records/records.js';
export { answers, matchKey, keyOf } from './correlate/match.js';
export { parseExpectation, judge, describeExpectation } from './probe/expect.js';
export type { Expectation } from './probe/expect.js';
export { systemClock, FakeClock } from './time/clock.js';
export type { Clock, TimerHandle } from './time/clock.js';

// Links: where frames go and come from.
export type { Link, Captured, LinkStats } from './link/link.js';
export { PcapLink, ARP_FILTER, DEFAULT_SNAPLEN, DEFAULT_RING_BYTES, ringFrames, ringSlotBytes, pcapVersion } from './link/pcap-link.js';
export type { PcapLinkOptions, PcapLinkStats } from './link/pcap-link.js';
export { MemoryLink } from './link/memory-link.js';
export { PcapWriter, PcapFileLink, PcapStreamLink, PcapParser, readPcapFile, parsePcap } from './link/pcap-file.js';
export { interfaceMac, interfaceIpv4, defaultSenderIp, hasRawPrivilege, preflightInterface } from './link/interfaces.js';

// Sweeps and findings.
export { sweep, SWEEP_DEFAULTS, SWEEP_RING_MIN, SWEEP_RING_MAX, sweepRingBytes, ppsForBandwidth } from './sweep/sweep.js';
export type { SweepOptions, SweepResult, SweepSummary, SweepPlanInfo } from './sweep/sweep.js';
export type { SweepProgress, ReplyView } from './sweep/engine.js';
export { expandTargets, parseTarget, targetsFromText, targetsFromChunks, defaultCanaries } from './sweep/targets.js';
export { parseBaseline, readBaseline } from './sweep/baseline.js';
export { vendorOf, vendorLabel, parseVendorFile, setVendorOverrides, BUILTIN_VENDORS } from './records/vendor.js';
export type { VendorEntries, VendorFileResult } from './records/vendor.js';
export { detect, Observations, SEVERITIES, severityRank, DEFAULT_MAX_IPS_PER_MAC } from './detect/findings.js';
export type { Finding, FindingKind, Severity, DetectInput } from './detect/findings.js';

// Explaining the kernel.
export { explain, arpIgnoreBlocks, MODEL_KERNELS } from './explain/model.js';
export type { ExplainState, ExplainRequest, Explanation, Step, Conf, Addr, RouteLookup } from './explain/model.js';
export { readExplainState, routeGet } from './explain/read-linux.js';

// Watching and triggering.
export { ArpWatcher } from './watch/analyzer.js';
export type { WatchOptions, WatchRecord, WatchFinding, WatchFindingKind, ArpRecord, MalformedRecord, WatchSummary } from './watch/analyzer.js';
export { WatchMetrics } from './watch/metrics.js';
export { trigger, classifySender } from './trigger/trigger.js';
export type { TriggerOptions, TriggerResult, TriggerLeak } from './trigger/trigger.js';

// Labs: network namespaces and scriptable ARP hosts.
export { startResponder } from './lab/responder.js';
export { Lab, withLab, cleanupStaleLabs } from './lab/lab.js';
export type { LabSpec, LabEnd } from './lab/lab.js';
export type { Claim, Responder, ResponderOptions, AnswerRecord } from './lab/responder.js';

// Wire format, errors, logging seam.
// The wire format, chosen on purpose: decode/encode and the names a caller needs (helpers such as
// fail/truncated/readU32/formatMacCached stay internal).
export { decodeArpFrame, encodeArpFrame, frameVlan, parseEthernet, emitEthernet, parseArp, emitArp, arpOpName } from './wire/index.js';
export { ArpOp, ArpHwType, EtherType, etherTypeName, MAX_VLAN_TAGS } from './wire/index.js';
export { parseIpv4, formatIpv4, parseMac, normalizeMac, formatMac, isBroadcastMac, isMulticastMac, isLocalMac, BROADCAST_MAC, ZERO_MAC } from './wire/index.js';
export type { ArpFrame, ArpFrameSpec, ArpPacket, ArpFields, EthernetHeader, EthernetFields, VlanTag, WireIssue, WireIssueCode, WireResult, FrameResult, Ipv4, Mac } from './wire/index.js';
// One correlator and one findings model.
export { pickRequest } from './correlate/pick.js';
export { PendingTable } from './correlate/pending.js';
export type { PendingRequest, Pairing } from './correlate/pending.js';
export { FINDING_KINDS, worstSeverity, failsOn, sortFindings } from './findings/finding.js';
export type { KindInfo } from './findings/finding.js';
export { DEFAULT_RATE_PPS, assertNotFlood } from './pacing/flood.js';
export { ArpInjectError, UsageError, EnvironmentError, isArpInjectError } from './errors.js';
export type { ErrorCode, ErrorKind } from './errors.js';
export type { Logger } from './log.js';
