using System.Globalization;
using System.Text;

namespace Wrapper.Bench;

/// <summary>The markdown report: one table under load, one unloaded, the targets of issue 7, and how to read them.</summary>
public static class Report
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Markdown(BenchOptions options, RunEnvironment run, IReadOnlyList<BenchRow> rows, IReadOnlyList<string> notes)
    {
        var md = new StringBuilder();
        md.AppendLine(Invariant, $"# Bench: {run.Label}");
        md.AppendLine();
        md.AppendLine(Invariant, $"- run: {run.Started:yyyy-MM-dd HH:mm} UTC, commit {run.Commit}");
        md.AppendLine(Invariant, $"- machine: {run.Tools}; load average (1/5/15 min) {run.LoadAtStart} at start, {run.LoadAtEnd} at end");
        md.AppendLine(Invariant, $"- load: wrk, {options.Connections} connections on {options.Threads} threads for {options.DurationSeconds} s after {options.WarmupSeconds} s of warm-up (then, for .NET targets, up to {options.MaxExtraWarmupSeconds} s more until the JIT settles); then 1 connection for {options.LatencyDurationSeconds} s");
        md.AppendLine("- request: `/chat`-style short history (system, user, assistant, user); `plain` = one JSON answer, `stream` = server-sent events; simulator at zero latency, 60-token answers");
        if (options.ServiceEnvironment.Count > 0)
        {
            md.AppendLine(Invariant, $"- service environment: {string.Join(", ", options.ServiceEnvironment.Select(kv => $"`{kv.Key}={kv.Value}`"))}");
        }

        md.AppendLine();
        md.AppendLine(Invariant, $"## Under load ({options.Connections} connections)");
        md.AppendLine();
        md.AppendLine("| | target | mode | req/s | vs (1) | vs (2) | p50 ms | p90 ms | p99 ms | p50 added vs (1) | TTFT p50 ms | peak RSS MB | CPU ms/req | sim CPU ms/req | alloc KB/req | GCs 0/1/2 | JIT ms | errors |");
        md.AppendLine("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var row in rows)
        {
            if (row.Loaded is not { } loaded)
            {
                md.AppendLine(Invariant, $"| {row.Label} | {row.Title} | {Mode(row)} | failed: {row.Failure} ||||||||||||||");
                continue;
            }

            var direct = Find(rows, TargetNames.Direct, row.Stream, row.Round)?.Loaded;
            var yarp = Find(rows, TargetNames.Yarp, row.Stream, row.Round)?.Loaded;
            md.AppendLine(Invariant, $"| {Label(options, row)} | {row.Title} | {Mode(row)} | {loaded.RequestsPerSecond:0} | {Ratio(loaded, direct)} | {Ratio(loaded, yarp)} | "
                + $"{Ms(loaded.P50)} | {Ms(loaded.P90)} | {Ms(loaded.P99)} | {Added(loaded, direct)} | {Value(row.TtftLoadedMs, "0.00")} | "
                + $"{row.PeakWorkingSetBytes / 1048576.0:0} | {Value(row.CpuMsPerRequest, "0.000")} | {Value(row.SimulatorCpuMsPerRequest, "0.000")} | "
                + $"{Value(row.AllocatedBytesPerRequest / 1024, "0.0")} | {Gcs(row.Runtime)} | {Value(row.Runtime?.JitMilliseconds, "0")} | {loaded.Errors} |");
        }

        if (rows.Any(row => row.Unloaded is not null))
        {
            md.AppendLine();
            md.AppendLine("## Unloaded (1 connection)");
            md.AppendLine();
            md.AppendLine("| | target | mode | req/s | p50 ms | p90 ms | p99 ms | p50 added vs (1) | p50 added vs (2) | TTFT p50 ms | errors |");
            md.AppendLine("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|");
            foreach (var row in rows.Where(row => row.Unloaded is not null))
            {
                var unloaded = row.Unloaded!;
                var direct = Find(rows, TargetNames.Direct, row.Stream, row.Round)?.Unloaded;
                var yarp = Find(rows, TargetNames.Yarp, row.Stream, row.Round)?.Unloaded;
                md.AppendLine(Invariant, $"| {Label(options, row)} | {row.Title} | {Mode(row)} | {unloaded.RequestsPerSecond:0} | {Ms(unloaded.P50)} | {Ms(unloaded.P90)} | {Ms(unloaded.P99)} | "
                    + $"{Added(unloaded, direct)} | {Added(unloaded, yarp)} | {Value(row.TtftUnloadedMs, "0.00")} | {unloaded.Errors} |");
            }
        }

        if (options.Rounds > 1 && rows.Any(row => row.Key == TargetNames.Yarp && row.Loaded is not null))
        {
            md.AppendLine();
            md.AppendLine(Invariant, $"## Rounds: throughput against YARP, paired within each of {options.Rounds} rounds");
            md.AppendLine();
            md.AppendLine("| | target | mode | vs (2) per round | median | CPU ms/req (median) | sim CPU ms/req (median) |");
            md.AppendLine("|---|---|---|---|--:|--:|--:|");
            foreach (var group in rows.Where(row => row.Key != TargetNames.Yarp && row.Loaded is not null).GroupBy(row => (row.Key, row.Stream)))
            {
                var first = group.First();
                var ratios = PairedRatios(rows, first.Key, first.Stream);
                md.AppendLine(Invariant, $"| {first.Label} | {first.Title} | {Mode(first)} | {string.Join(", ", ratios.Select(r => r.ToString("0.00", Invariant)))} | "
                    + $"{Value(Median(ratios), "0.00")}x | {Value(Median(group.Select(r => r.CpuMsPerRequest)), "0.000")} | {Value(Median(group.Select(r => r.SimulatorCpuMsPerRequest)), "0.000")} |");
            }
        }

        var variant = Variant(rows).ToList();
        if (variant.Count > 0)
        {
            md.AppendLine();
            md.AppendLine(Invariant, $"## (3v) against (3), the same service without `{string.Join(", ", options.VariantEnvironment.Select(kv => $"{kv.Key}={kv.Value}"))}`");
            md.AppendLine();
            md.AppendLine("Paired within each round (or the run). The targets of issue 15 for quotas on Redis: throughput at least 90 % of the");
            md.AppendLine("same service's without, and at most 0.3 ms added to the unloaded p50.");
            md.AppendLine();
            foreach (var line in variant)
            {
                md.AppendLine(line);
            }
        }

        var goals = Goals(rows).ToList();
        if (goals.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Targets of issue 7 for this service (3)");
            md.AppendLine();
            foreach (var goal in goals)
            {
                md.AppendLine(goal);
            }
        }

        var openAIGoals = OpenAICompatibleGoals(rows).ToList();
        if (openAIGoals.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Target of issue 16 for the OpenAI-compatible route (3c)");
            md.AppendLine();
            foreach (var goal in openAIGoals)
            {
                md.AppendLine(goal);
            }
        }

        md.AppendLine();
        md.AppendLine("## How to read it");
        md.AppendLine();
        md.AppendLine("- (1) the simulator called directly: the floor. (2) a plain YARP pass-through (Kestrel + `MapForwarder`, default transforms, no logging) in front of it: the bound for a .NET proxy. (3) this service's `POST /chat` (Release, production defaults: request logging at Information to stdout, client key, telemetry collected). (3b) the same service behind src/Gateway. (3c) the same service's OpenAI-compatible `POST /openai/v1/chat/completions` (bearer client key, the body relayed). (4) the Portkey gateway 1.15.2 on node, Azure OpenAI provider with `x-portkey-custom-host` pointed at the simulator.");
        md.AppendLine("- Every process shares the same 2 cores with wrk and the simulator, so under load a proxy's CPU cost shows as lost throughput and queueing; `vs (1)` and `vs (2)` are throughput ratios.");
        md.AppendLine("- `p50 added vs (1)` is the p50 latency minus that of (1) in the same mode; unloaded, it is the time the proxy itself adds to one call.");
        md.AppendLine("- `TTFT`: time from sending the streaming request to the first event carrying text, by one extra connection beside the load (loaded) or alone for 3 s (unloaded).");
        md.AppendLine("- `peak RSS`: VmHWM of the reported process since it started (for (3b): the gateway's own process). `CPU ms/req`: its user+system CPU time over the loaded run divided by requests; `sim CPU ms/req`: the simulator's, for comparison.");
        md.AppendLine("- `alloc KB/req` and `GCs`: the process's `System.Runtime` event counters (`alloc-rate`, `gen-N-gc-count`) read over EventPipe during the loaded run, divided by requests (.NET processes only). `JIT ms`: its `time-in-jit` over the loaded run; after the fixed warm-up, a .NET target is kept under load in 5 s slices until its JIT takes at most 2 % of a core (or for at most the extra warm-up), so that the run measures the code, not its compilation.");
        foreach (var note in notes)
        {
            md.AppendLine(Invariant, $"- {note}");
        }

        return md.ToString();
    }

    private static IEnumerable<string> Goals(IReadOnlyList<BenchRow> rows)
    {
        foreach (var stream in new[] { false, true })
        {
            var service = Find(rows, TargetNames.Service, stream);
            if (service?.Loaded is null)
            {
                continue;
            }

            var mode = stream ? "stream" : "plain";
            var direct = Find(rows, TargetNames.Direct, stream);
            var yarp = Find(rows, TargetNames.Yarp, stream);
            var portkey = Find(rows, TargetNames.Portkey, stream);
            if (service.Unloaded is { } unloaded && direct?.Unloaded is { } floor)
            {
                var added = (unloaded.P50 - floor.P50) / 1000.0;
                yield return string.Create(Invariant, $"- [{mode}] p50 added latency under 1 ms (unloaded): {added:0.00} ms: **{(added < 1 ? "met" : "not met")}**");
            }

            if (direct?.Loaded is { } loadedFloor)
            {
                var addedLoaded = (service.Loaded.P50 - loadedFloor.P50) / 1000.0;
                yield return string.Create(Invariant, $"- [{mode}] p50 added latency at the loaded concurrency: {addedLoaded:0.00} ms (queueing included)");
            }

            if (yarp?.Loaded is { } limit)
            {
                var share = service.Loaded.RequestsPerSecond / limit.RequestsPerSecond;
                yield return string.Create(Invariant, $"- [{mode}] throughput at least 60% of YARP: {share:P0}: **{(share >= 0.6 ? "met" : "not met")}**");
            }

            if (portkey?.Loaded is { } peer)
            {
                var ahead = service.Loaded.RequestsPerSecond / peer.RequestsPerSecond;
                yield return string.Create(Invariant, $"- [{mode}] ahead of the peer gateway: {ahead:0.00}x Portkey's req/s: **{(ahead > 1 ? "met" : "not met")}**");
            }
        }
    }

    private static IEnumerable<string> Variant(IReadOnlyList<BenchRow> rows)
    {
        foreach (var stream in new[] { false, true })
        {
            var pairs = rows.Where(row => row.Key == TargetNames.ServiceVariant && row.Stream == stream && row.Loaded is not null)
                .Select(row => (Variant: row, Base: Find(rows, TargetNames.Service, stream, row.Round)))
                .Where(pair => pair.Base?.Loaded is { RequestsPerSecond: > 0 })
                .ToList();
            if (pairs.Count == 0)
            {
                continue;
            }

            var mode = stream ? "stream" : "plain";
            var shares = pairs.Select(p => p.Variant.Loaded!.RequestsPerSecond / p.Base!.Loaded!.RequestsPerSecond).ToList();
            var share = Median(shares)!.Value;
            yield return string.Create(Invariant,
                $"- [{mode}] throughput at least 90% of (3): {string.Join(", ", shares.Select(r => r.ToString("P0", Invariant)))}, median {share:P0}: **{(share >= 0.9 ? "met" : "not met")}**");
            var added = pairs.Where(p => p.Variant.Unloaded is not null && p.Base!.Unloaded is not null)
                .Select(p => (p.Variant.Unloaded!.P50 - p.Base!.Unloaded!.P50) / 1000.0).ToList();
            if (added.Count > 0)
            {
                var median = Median(added)!.Value;
                yield return string.Create(Invariant,
                    $"- [{mode}] unloaded p50 added at most 0.3 ms: {string.Join(", ", added.Select(a => a.ToString("+0.00;-0.00;0.00", Invariant)))} ms, median {median:+0.00;-0.00;0.00} ms: **{(median <= 0.3 ? "met" : "not met")}**");
            }
        }
    }

    private static IEnumerable<string> OpenAICompatibleGoals(IReadOnlyList<BenchRow> rows)
    {
        foreach (var stream in new[] { false, true })
        {
            var ratios = PairedRatios(rows, TargetNames.OpenAICompatible, stream);
            if (Median(ratios) is not { } share)
            {
                continue;
            }

            var mode = stream ? "stream" : "plain";
            var over = ratios.Count > 1 ? string.Create(Invariant, $" (median of {ratios.Count} rounds)") : string.Empty;
            yield return string.Create(Invariant, $"- [{mode}] throughput at least 75% of YARP: {share:P0}{over}: **{(share >= 0.75 ? "met" : "not met")}**");
        }
    }

    private static BenchRow? Find(IReadOnlyList<BenchRow> rows, string key, bool stream, int? round = null) =>
        rows.FirstOrDefault(row => row.Key == key && row.Stream == stream && row.Loaded is not null && (round is null || row.Round == round));

    /// <summary>A target's loaded throughput over YARP's in the same mode, one ratio per round that measured both.</summary>
    private static List<double> PairedRatios(IReadOnlyList<BenchRow> rows, string key, bool stream) =>
        rows.Where(row => row.Key == key && row.Stream == stream && row.Loaded is not null)
            .Select(row => (Row: row, Yarp: Find(rows, TargetNames.Yarp, stream, row.Round)?.Loaded))
            .Where(pair => pair.Yarp is { RequestsPerSecond: > 0 })
            .Select(pair => pair.Row.Loaded!.RequestsPerSecond / pair.Yarp!.RequestsPerSecond)
            .ToList();

    private static double? Median(IEnumerable<double?> values)
    {
        var sorted = values.OfType<double>().Order().ToList();
        return sorted.Count == 0 ? null : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static double? Median(List<double> values) => Median(values.Select(v => (double?)v));

    private static string Label(BenchOptions options, BenchRow row) =>
        options.Rounds > 1 ? string.Create(Invariant, $"{row.Label} r{row.Round}") : row.Label;

    private static string Mode(BenchRow row) => row.Stream ? "stream" : "plain";

    private static string Ms(long microseconds) => (microseconds / 1000.0).ToString("0.00", Invariant);

    private static string Ratio(WrkResult result, WrkResult? reference) =>
        reference is { RequestsPerSecond: > 0 } ? (result.RequestsPerSecond / reference.RequestsPerSecond).ToString("0.00", Invariant) + "x" : "—";

    private static string Added(WrkResult result, WrkResult? reference) =>
        reference is null ? "—" : ((result.P50 - reference.P50) / 1000.0).ToString("+0.00;-0.00;0.00", Invariant);

    private static string Value(double? value, string format) => value is { } v ? v.ToString(format, Invariant) : "—";

    private static string Gcs(RuntimeTotals? totals) => totals is null ? "—" : string.Create(Invariant, $"{totals.Gen0}/{totals.Gen1}/{totals.Gen2}");
}
