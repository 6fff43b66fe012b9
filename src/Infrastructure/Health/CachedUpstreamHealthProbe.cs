using Microsoft.Extensions.Options;
using Wrapper.Application.Common.Interfaces;

namespace Wrapper.Infrastructure.Health;

/// <summary>
/// Shares one upstream probe between callers: concurrent callers wait for the same probe (single flight), and its
/// outcome, success or failure, answers every caller for <see cref="HealthProbeOptions.CacheSeconds"/> after it
/// finished. So however often /health and /health/ready are polled, the upstream sees at most one probe per interval.
/// A caller that gives up stops waiting; the shared probe goes on for the others (bounded by its own deadline).
/// </summary>
public sealed class CachedUpstreamHealthProbe : IUpstreamHealthProbe
{
    private readonly IUpstreamHealthProbe _inner;
    private readonly TimeProvider _time;
    private readonly TimeSpan _ttl;
    private readonly Lock _gate = new();
    private Task? _current;
    private long _completedAt;

    public CachedUpstreamHealthProbe(IUpstreamHealthProbe inner, IOptions<HealthProbeOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _inner = inner;
        _time = time;
        _ttl = TimeSpan.FromSeconds(Math.Max(0, options.Value.CacheSeconds));
    }

    /// <inheritdoc />
    public Task ProbeAsync(CancellationToken cancellationToken)
    {
        Task probe;
        lock (_gate)
        {
            if (_current is null || (_current.IsCompleted && _time.GetElapsedTime(_completedAt) >= _ttl))
            {
                _current = RunAsync();
            }

            probe = _current;
        }

        return probe.WaitAsync(cancellationToken);
    }

    private async Task RunAsync()
    {
        await Task.Yield(); // never run the probe inside the lock
        try
        {
            // Not the caller's token: the probe is shared, and its own deadline bounds it.
            await _inner.ProbeAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                _completedAt = _time.GetTimestamp();
            }
        }
    }
}
