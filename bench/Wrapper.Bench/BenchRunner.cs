using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Wrapper.Bench;

/// <summary>One measured row: a target and a mode.</summary>
public sealed record BenchRow(
    string Key,
    string Label,
    string Title,
    bool Stream,
    WrkResult? Loaded,
    WrkResult? Unloaded,
    double? TtftLoadedMs,
    double? TtftUnloadedMs,
    long PeakWorkingSetBytes,
    double? CpuMsPerRequest,
    double? SimulatorCpuMsPerRequest,
    double? AllocatedBytesPerRequest,
    RuntimeTotals? Runtime,
    string? Failure,
    int Round = 1);

/// <summary>Starts everything, measures every target in every mode, and writes the report.</summary>
public sealed class BenchRunner
{
    private readonly BenchOptions _options;

    public BenchRunner(BenchOptions options) => _options = options;

    public async Task<int> RunAsync()
    {
        var repository = Repository.Find();
        await Wrk.EnsureInstalledAsync();
        if (_options.Build)
        {
            await repository.BuildReleaseAsync(Path.Combine(repository.Root, "src", "Api", "Wrapper.Api.csproj"));
            if (_options.Targets.Contains(TargetNames.Gateway) && File.Exists(repository.GatewayProject))
            {
                await repository.BuildReleaseAsync(repository.GatewayProject);
            }
        }

        if (!File.Exists(repository.SimulatorDll) || !File.Exists(repository.ApiDll))
        {
            throw new BenchException("no Release build of src/Api and src/Simulator: run without --no-build");
        }

        var started = DateTimeOffset.UtcNow;
        var logDirectory = Path.Combine(repository.ResultsDirectory, "logs", started.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(logDirectory);
        var environment = new RunEnvironment(
            _options.Label, started, await repository.DescribeAsync(), LoadAverage(), await ToolVersionsAsync());
        Console.WriteLine($"load average at start: {environment.LoadAtStart}; logs in {logDirectory}");

        var deployments = new Deployments(repository, _options, logDirectory);
        var wrk = new Wrk(logDirectory);
        var rows = new List<BenchRow>();
        var notes = new List<string>();
        var (simulator, simulatorUrl) = await deployments.StartSimulatorAsync();
        await using (simulator)
        {
            // The simulator is every target's upstream: bring it to steady state (tiered JIT, pools) before any row.
            var simulatorWarmup = Math.Max(5, _options.WarmupSeconds);
            Console.WriteLine($"warming the simulator up ({simulatorWarmup} s per mode)...");
            foreach (var mode in _options.Modes)
            {
                await wrk.RunAsync(simulatorUrl, Conversation.Azure(Deployments.SimulatorKey, mode == "stream"), _options.Threads, _options.Connections, simulatorWarmup);
            }

            if (_options.Rounds > 1)
            {
                await MeasureInRoundsAsync(deployments, simulator, simulatorUrl, wrk, rows, notes);
            }

            foreach (var key in _options.Rounds > 1 ? [] : _options.Targets)
            {
                if (await TryDeployAsync(deployments, key, simulator, simulatorUrl, notes) is not { } deployment)
                {
                    continue;
                }

                await using (deployment)
                {
                    foreach (var mode in _options.Modes)
                    {
                        rows.Add(await MeasureAsync(deployment, simulator, wrk, stream: mode == "stream", _options.WarmupSeconds));
                    }
                }
            }
        }

        environment = environment with { LoadAtEnd = LoadAverage() };
        var report = Report.Markdown(_options, environment, rows, notes);
        var output = _options.OutputPath ?? Path.Combine(repository.ResultsDirectory, "latest.md");
        await File.WriteAllTextAsync(output, report);
        Console.WriteLine();
        Console.WriteLine(report);
        Console.WriteLine($"written to {output}");
        return rows.Any(row => row.Failure is not null) ? 1 : 0;
    }

    /// <summary>Starts a target; null, with a note saying why, when it cannot be measured (src/Gateway not built, or a
    /// failure with <c>--keep-going</c>).</summary>
    private async Task<Deployment?> TryDeployAsync(Deployments deployments, string key, ChildProcess simulator, string simulatorUrl, List<string> notes)
    {
        try
        {
            if (await DeployAsync(deployments, key, simulator, simulatorUrl) is { } deployment)
            {
                return deployment;
            }

            notes.Add($"{key}: not measured: src/Gateway is not built in this checkout.");
        }
        catch (BenchException ex) when (_options.KeepGoing)
        {
            notes.Add($"{key}: not measured: {ex.Message.Split('\n')[0]}");
        }

        return null;
    }

    private static async Task<Deployment?> DeployAsync(Deployments deployments, string key, ChildProcess simulator, string simulatorUrl) => key switch
    {
        TargetNames.Direct => deployments.Direct(simulator, simulatorUrl),
        TargetNames.Yarp => await deployments.YarpAsync(simulatorUrl),
        TargetNames.Service => await deployments.ServiceAsync(simulatorUrl),
        TargetNames.ServiceVariant => await deployments.ServiceVariantAsync(simulatorUrl),
        TargetNames.OpenAICompatible => await deployments.OpenAICompatibleAsync(simulatorUrl),
        TargetNames.Gateway => await deployments.GatewayAsync(simulatorUrl),
        TargetNames.Portkey => await deployments.PortkeyAsync(simulatorUrl),
        _ => throw new BenchException($"unknown target {key}"),
    };

    /// <summary><c>--rounds N</c>: every target started at once; per mode, each warmed up as in a single run, then measured
    /// in turn, N times (a short re-warm of its connections before each measurement), so that the rows of one round are
    /// minutes closer in time than a single run's.</summary>
    private async Task MeasureInRoundsAsync(Deployments deployments, ChildProcess simulator, string simulatorUrl, Wrk wrk, List<BenchRow> rows,
        List<string> notes)
    {
        var started = new List<Deployment>();
        try
        {
            foreach (var key in _options.Targets)
            {
                if (await TryDeployAsync(deployments, key, simulator, simulatorUrl, notes) is { } deployment)
                {
                    started.Add(deployment);
                }
            }

            foreach (var mode in _options.Modes)
            {
                var stream = mode == "stream";
                foreach (var deployment in started)
                {
                    await WarmUpAsync(deployment, wrk, stream, _options.WarmupSeconds);
                }

                for (var round = 1; round <= _options.Rounds; round++)
                {
                    foreach (var deployment in started)
                    {
                        Console.WriteLine($"round {round} of {_options.Rounds}:");
                        rows.Add(await MeasureAsync(deployment, simulator, wrk, stream, RoundRewarmSeconds, untilJitSettles: false) with { Round = round });
                    }
                }
            }
        }
        finally
        {
            foreach (var deployment in started)
            {
                await deployment.DisposeAsync();
            }
        }
    }

    private const int RoundRewarmSeconds = 3;

    private async Task WarmUpAsync(Deployment target, Wrk wrk, bool stream, int seconds, bool untilJitSettles = true)
    {
        if (seconds <= 0)
        {
            return;
        }

        var request = target.Request(stream);
        Console.WriteLine($"{target.Label} {target.Title} [{(stream ? "stream" : "plain")}]: warm-up {seconds} s");
        await wrk.RunAsync(target.BaseUrl, request, _options.Threads, _options.Connections, seconds);
        if (untilJitSettles && target.IsDotNet)
        {
            await WarmUntilJitSettlesAsync(target, request, wrk);
        }
    }

    /// <summary>Tiered compilation (with PGO's instrumented tier) can keep a .NET process's JIT busy for a minute of
    /// load on two shared cores, which would be measured as the target's cost. After the fixed warm-up, the load goes
    /// on in slices of <see cref="JitSliceSeconds"/> while the JIT takes more than <see cref="SettledJitShare"/> of one
    /// core, for at most <see cref="BenchOptions.MaxExtraWarmupSeconds"/>.</summary>
    private async Task WarmUntilJitSettlesAsync(Deployment target, BenchRequest request, Wrk wrk)
    {
        for (var extra = 0; extra < _options.MaxExtraWarmupSeconds; extra += JitSliceSeconds)
        {
            var counters = RuntimeCounters.TryStart(target.Measured.Id);
            if (counters is null)
            {
                return;
            }

            RuntimeTotals totals;
            await using (counters)
            {
                await Task.Delay(TimeSpan.FromSeconds(1.1));
                await wrk.RunAsync(target.BaseUrl, request, _options.Threads, _options.Connections, JitSliceSeconds);
                totals = await counters.StopAsync();
            }

            var share = totals.JitMilliseconds / (JitSliceSeconds * 1000.0);
            if (share <= SettledJitShare)
            {
                return;
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  the JIT is still busy ({share:P0} of a core): {JitSliceSeconds} s more"));
        }

        Console.WriteLine($"  the JIT did not settle within {_options.MaxExtraWarmupSeconds} s more: measuring anyway");
    }

    private const int JitSliceSeconds = 5;
    private const double SettledJitShare = 0.02;

    /// <summary>Checks the target with one request, warms it up for <paramref name="warmupSeconds"/> (then, with
    /// <paramref name="untilJitSettles"/>, until its JIT settles), and measures it.</summary>
    private async Task<BenchRow> MeasureAsync(Deployment target, ChildProcess simulator, Wrk wrk, bool stream, int warmupSeconds,
        bool untilJitSettles = true)
    {
        var mode = stream ? "stream" : "plain";
        var request = target.Request(stream);
        Console.WriteLine($"{target.Label} {target.Title} [{mode}]: checking...");
        if (await CheckAsync(target, request, stream) is { } failure)
        {
            if (!_options.KeepGoing)
            {
                throw new BenchException($"{target.Label} {target.Title} [{mode}]: {failure}");
            }

            return new BenchRow(target.Key, target.Label, target.Title, stream, null, null, null, null, target.Measured.PeakWorkingSetBytes(),
                null, null, null, null, failure);
        }

        await WarmUpAsync(target, wrk, stream, warmupSeconds, untilJitSettles);

        var counters = target.IsDotNet ? RuntimeCounters.TryStart(target.Measured.Id) : null;
        if (counters is not null)
        {
            // Let the first counter interval open before the load starts.
            await Task.Delay(TimeSpan.FromSeconds(1.1));
        }

        Console.WriteLine($"  {_options.Connections} connections, {_options.DurationSeconds} s");
        var cpuBefore = target.Measured.CpuTime();
        var simulatorCpuBefore = simulator.CpuTime();
        using var probe = new TtftProbe();
        using var stopProbe = new CancellationTokenSource();
        var probing = stream ? probe.RunAsync(target.BaseUrl, request, stopProbe.Token) : Task.FromResult(new List<double>());
        var loaded = await wrk.RunAsync(target.BaseUrl, request, _options.Threads, _options.Connections, _options.DurationSeconds);
        await stopProbe.CancelAsync();
        var ttftLoaded = await probing;
        var cpu = target.Measured.CpuTime() - cpuBefore;
        var simulatorCpu = simulator.CpuTime() - simulatorCpuBefore;
        RuntimeTotals? runtime = null;
        if (counters is not null)
        {
            await using (counters)
            {
                runtime = await counters.StopAsync();
            }
        }

        var served = loaded.Requests + probe.Sent;
        WrkResult? unloaded = null;
        List<double> ttftUnloaded = [];
        if (_options.LatencyDurationSeconds > 0)
        {
            Console.WriteLine($"  1 connection, {_options.LatencyDurationSeconds} s");
            unloaded = await wrk.RunAsync(target.BaseUrl, request, 1, 1, _options.LatencyDurationSeconds);
            if (stream)
            {
                using var quiet = new TtftProbe();
                using var window = new CancellationTokenSource(TimeSpan.FromSeconds(Math.Min(3, _options.LatencyDurationSeconds)));
                ttftUnloaded = await quiet.RunAsync(target.BaseUrl, request, window.Token);
            }
        }

        var row = new BenchRow(
            target.Key, target.Label, target.Title, stream, loaded, unloaded,
            Median(ttftLoaded), Median(ttftUnloaded),
            target.Measured.PeakWorkingSetBytes(),
            served > 0 ? cpu.TotalMilliseconds / served : null,
            served > 0 && target.Key != TargetNames.Direct ? simulatorCpu.TotalMilliseconds / served : null,
            runtime is { Intervals: > 0 } && served > 0 ? runtime.AllocatedBytes / served : null,
            runtime,
            null);
        Console.WriteLine($"  {loaded.RequestsPerSecond:0} req/s, p50 {loaded.P50 / 1000.0:0.00} ms, p99 {loaded.P99 / 1000.0:0.00} ms, errors {loaded.Errors}"
            + (row.AllocatedBytesPerRequest is { } alloc ? $", {alloc / 1024:0.0} KB/req" : string.Empty)
            + (row.CpuMsPerRequest is { } cpuMs ? $", {cpuMs:0.000} CPU ms/req" : string.Empty));
        return row;
    }

    /// <summary>One request through the target before measuring: an error or a non-answer stops the bench (or the row).</summary>
    private static async Task<string?> CheckAsync(Deployment target, BenchRequest request, bool stream)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        string? last = null;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, new Uri(new Uri(target.BaseUrl), request.Path))
            {
                Content = new StringContent(request.Body, Encoding.UTF8, "application/json"),
            };
            foreach (var (name, value) in request.Headers)
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }

            try
            {
                using var response = await client.SendAsync(message);
                var body = await response.Content.ReadAsStringAsync();
                if (response.IsSuccessStatusCode && Conversation.LooksLikeAnswer(body, stream))
                {
                    return null;
                }

                last = $"HTTP {(int)response.StatusCode}: {Shorten(body)}";
            }
            catch (HttpRequestException ex)
            {
                last = ex.Message;
            }

            await Task.Delay(500);
        }

        return $"no valid answer ({last}); see {target.Measured.LogPath}";
    }

    private static string Shorten(string text) => text.Length <= 300 ? text : text[..300] + "...";

    private static double? Median(List<double> samples)
    {
        if (samples.Count == 0)
        {
            return null;
        }

        samples.Sort();
        return samples[samples.Count / 2];
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static async Task<string> ToolVersionsAsync()
    {
        var (_, wrk) = await Repository.RunAsync("wrk", ["--version"], Directory.GetCurrentDirectory());
        var (_, node) = await Repository.RunAsync("node", ["--version"], Directory.GetCurrentDirectory());
        var wrkVersion = wrk.Split('\n')[0].Split(' ').ElementAtOrDefault(1) ?? "?";
        return $"wrk {wrkVersion}, node {node.Trim()}, .NET {Environment.Version}, {Environment.ProcessorCount} cores";
    }
}

/// <summary>Where and when a run happened.</summary>
public sealed record RunEnvironment(string Label, DateTimeOffset Started, string Commit, string LoadAtStart, string Tools)
{
    public string LoadAtEnd { get; init; } = "";
}
