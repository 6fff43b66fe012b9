using System.Diagnostics.Tracing;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;

namespace Wrapper.Bench;

/// <summary>Totals of a .NET process's runtime counters over a window.</summary>
/// <param name="AllocatedBytes">Bytes allocated (<c>alloc-rate</c>).</param>
/// <param name="Gen0">Generation 0 collections.</param>
/// <param name="Gen1">Generation 1 collections.</param>
/// <param name="Gen2">Generation 2 collections.</param>
/// <param name="Intervals">Counter intervals reported (0: the counters never arrived).</param>
/// <param name="JitMilliseconds">Time the JIT spent compiling (<c>time-in-jit</c>).</param>
public sealed record RuntimeTotals(double AllocatedBytes, long Gen0, long Gen1, long Gen2, int Intervals, double JitMilliseconds);

/// <summary>Reads the <c>System.Runtime</c> event counters (<c>alloc-rate</c>, <c>gen-N-gc-count</c>, <c>time-in-jit</c>) of another .NET
/// process over EventPipe, the way <c>dotnet-counters</c> does, and adds up their per-interval increments while it runs.
/// Started a second before a measured run and stopped a little after it, the sum covers the whole run.</summary>
public sealed class RuntimeCounters : IAsyncDisposable
{
    private const int IntervalSeconds = 1;

    private readonly EventPipeSession _session;
    private readonly EventPipeEventSource _source;
    private readonly Task _processing;
    private readonly object _gate = new();
    private double _allocated;
    private double _gen0;
    private double _gen1;
    private double _gen2;
    private double _jit;
    private int _intervals;

    private RuntimeCounters(EventPipeSession session)
    {
        _session = session;
        _source = new EventPipeEventSource(session.EventStream);
        _source.Dynamic.All += OnEvent;
        _processing = Task.Run(() => _source.Process());
    }

    /// <summary>Starts reading; null when the process does not answer on its diagnostics port.</summary>
    public static RuntimeCounters? TryStart(int processId)
    {
        try
        {
            var client = new DiagnosticsClient(processId);
            var provider = new EventPipeProvider(
                "System.Runtime",
                EventLevel.Informational,
                keywords: 0,
                arguments: new Dictionary<string, string> { ["EventCounterIntervalSec"] = IntervalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            var session = client.StartEventPipeSession([provider], requestRundown: false, circularBufferMB: 16);
            return new RuntimeCounters(session);
        }
        catch (Exception ex) when (ex is ServerNotAvailableException or UnsupportedCommandException or IOException or TimeoutException)
        {
            return null;
        }
    }

    /// <summary>Waits for the interval in progress to be reported, stops the session and returns the totals.</summary>
    public async Task<RuntimeTotals> StopAsync()
    {
        await Task.Delay(TimeSpan.FromSeconds(IntervalSeconds * 1.6));
        try
        {
            await _session.StopAsync(CancellationToken.None);
        }
        catch (Exception ex) when (ex is ServerNotAvailableException or IOException or TimeoutException)
        {
        }

        await Task.WhenAny(_processing, Task.Delay(TimeSpan.FromSeconds(5)));
        lock (_gate)
        {
            return new RuntimeTotals(_allocated, (long)_gen0, (long)_gen1, (long)_gen2, _intervals, _jit);
        }
    }

    private void OnEvent(TraceEvent data)
    {
        if (data.EventName != "EventCounters"
            || data.PayloadValue(0) is not IDictionary<string, object> outer
            || !outer.TryGetValue("Payload", out var inner)
            || inner is not IDictionary<string, object> payload
            || !payload.TryGetValue("Name", out var nameValue)
            || !payload.TryGetValue("Increment", out var incrementValue))
        {
            return;
        }

        var increment = Convert.ToDouble(incrementValue, System.Globalization.CultureInfo.InvariantCulture);
        lock (_gate)
        {
            switch (nameValue as string)
            {
                case "alloc-rate":
                    _allocated += increment;
                    _intervals++;
                    break;
                case "gen-0-gc-count":
                    _gen0 += increment;
                    break;
                case "gen-1-gc-count":
                    _gen1 += increment;
                    break;
                case "gen-2-gc-count":
                    _gen2 += increment;
                    break;
                case "time-in-jit":
                    _jit += increment;
                    break;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _source.Dispose();
        _session.Dispose();
        await Task.WhenAny(_processing, Task.Delay(TimeSpan.FromSeconds(2)));
    }
}
