using System.Globalization;

namespace Wrapper.Bench;

/// <summary>A failure the bench explains in one line (bad option, missing tool, a target that does not answer).</summary>
public sealed class BenchException(string message) : Exception(message);

/// <summary>Command-line options of a bench run.</summary>
public sealed record BenchOptions
{
    public const string Usage = """
        Wrapper.Bench — the simulator, a plain YARP pass-through, this service (and src/Gateway) and the Portkey gateway,
        side by side under the same load (bench/README.md).

          dotnet run -c Release --project bench/Wrapper.Bench -- [options]

          --targets LIST       comma-separated, from: direct, yarp, service, openai, gateway, portkey (default: all)
          --modes LIST         plain, stream                                                    (default: both)
          --connections N      wrk connections for the throughput run                           (default: 64)
          --threads N          wrk threads                                                      (default: 2)
          --duration S         measured seconds at N connections                                (default: 15)
          --warmup S           seconds of load before each measured run (JIT tiering, pools)     (default: 30)
          --max-extra-warmup S then, for .NET targets, more load while the JIT is still busy       (default: 90)
          --latency-duration S seconds at 1 connection for the unloaded latency (0 = skip)     (default: 5)
          --rounds N           measure every target N times, interleaved (all started at once; ratios
                               to YARP paired within a round, then their median)                (default: 1)
          --label TEXT         name of this run in the report, e.g. before / after              (default: run)
          --out FILE           markdown report                                (default: bench/results/latest.md)
          --no-build           use the existing Release builds
          --keep-going         report a target that fails its check instead of stopping
          --service-env K=V    extra environment for the service (repeatable), e.g. Serilog__MinimumLevel__Default=Warning
          --variant-env K=V    also measure (3v), POST /chat on a second instance with this environment too (repeatable),
                               against (3) in the same run: quotas on against off, say
        """;

    public IReadOnlyList<string> Targets { get; init; } = TargetNames.All;

    public IReadOnlyList<string> Modes { get; init; } = ["plain", "stream"];

    public int Connections { get; init; } = 64;

    public int Threads { get; init; } = 2;

    public int DurationSeconds { get; init; } = 15;

    public int WarmupSeconds { get; init; } = 30;

    public int MaxExtraWarmupSeconds { get; init; } = 90;

    public int LatencyDurationSeconds { get; init; } = 5;

    /// <summary>Measurements per target and mode, interleaved across targets (<c>--rounds</c>): on a shared machine whose
    /// speed drifts by 10-15 % within minutes, a ratio between two runs taken minutes apart measures the drift as much as
    /// the targets; paired within a round and taken as a median over rounds, it does not.</summary>
    public int Rounds { get; init; } = 1;

    public string Label { get; init; } = "run";

    public string? OutputPath { get; init; }

    public bool Build { get; init; } = true;

    public bool KeepGoing { get; init; }

    public IReadOnlyDictionary<string, string> ServiceEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>The environment of (3v) on top of <see cref="ServiceEnvironment"/> (<c>--variant-env</c>).</summary>
    public IReadOnlyDictionary<string, string> VariantEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>The options, or null when help was asked for.</summary>
    public static BenchOptions? Parse(string[] args)
    {
        var options = new BenchOptions();
        var serviceEnv = new Dictionary<string, string>(StringComparer.Ordinal);
        var variantEnv = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new BenchException($"{name} needs a value");
            int Number(int min) =>
                int.TryParse(Value(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min
                    ? n
                    : throw new BenchException($"{name} needs a whole number >= {min}");

            options = name switch
            {
                "-h" or "--help" => null,
                "--targets" => options with { Targets = List(Value(), TargetNames.All, name) },
                "--modes" => options with { Modes = List(Value(), ["plain", "stream"], name) },
                "--connections" => options with { Connections = Number(1) },
                "--threads" => options with { Threads = Number(1) },
                "--duration" => options with { DurationSeconds = Number(1) },
                "--warmup" => options with { WarmupSeconds = Number(0) },
                "--max-extra-warmup" => options with { MaxExtraWarmupSeconds = Number(0) },
                "--latency-duration" => options with { LatencyDurationSeconds = Number(0) },
                "--rounds" => options with { Rounds = Number(1) },
                "--label" => options with { Label = Value() },
                "--out" => options with { OutputPath = Value() },
                "--no-build" => options with { Build = false },
                "--keep-going" => options with { KeepGoing = true },
                "--service-env" => AddEnv(options, serviceEnv, Value(), name),
                "--variant-env" => AddEnv(options, variantEnv, Value(), name),
                _ => throw new BenchException($"unknown option '{name}' (--help lists them)"),
            };
            if (options is null)
            {
                return null;
            }
        }

        if (options.Threads > options.Connections)
        {
            options = options with { Threads = options.Connections };
        }

        if (variantEnv.Count > 0)
        {
            // (3v) is measured against (3): both are in the run, the variant beside the service it varies.
            var targets = options.Targets.Where(t => t != TargetNames.ServiceVariant).ToList();
            var service = targets.IndexOf(TargetNames.Service);
            if (service < 0)
            {
                targets.Add(TargetNames.Service);
                service = targets.Count - 1;
            }

            targets.Insert(service + 1, TargetNames.ServiceVariant);
            options = options with { Targets = targets };
        }

        return options with { ServiceEnvironment = serviceEnv, VariantEnvironment = variantEnv };
    }

    private static BenchOptions AddEnv(BenchOptions options, Dictionary<string, string> env, string pair, string option)
    {
        var eq = pair.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            throw new BenchException($"{option} needs KEY=VALUE, not '{pair}'");
        }

        env[pair[..eq]] = pair[(eq + 1)..];
        return options;
    }

    private static List<string> List(string value, IReadOnlyList<string> allowed, string option)
    {
        var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(item => item.ToLowerInvariant())
            .Distinct()
            .ToList();
        var unknown = items.Where(item => !allowed.Contains(item)).ToList();
        if (items.Count == 0 || unknown.Count > 0)
        {
            throw new BenchException($"{option}: expected some of {string.Join(", ", allowed)}");
        }

        // Keep the canonical order so that rows and ratios always line up the same way.
        return allowed.Where(items.Contains).ToList();
    }
}
