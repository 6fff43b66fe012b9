using Wrapper.Application.Common.Exceptions;

namespace Wrapper.Application.Health;

/// <summary>Check that the model service is reachable with our credentials. Derived from the circuit breakers first
/// (when every upstream's circuit is open the answer is known without sending anything), then from the upstream
/// probe, which spends no tokens and whose result is shared for a few seconds. Returns when it is; throws
/// <see cref="UpstreamException"/> otherwise.</summary>
public sealed record CheckHealth : IRequest<Unit>;

public sealed class CheckHealthHandler : IRequestHandler<CheckHealth, Unit>
{
    private readonly IUpstreamHealthProbe _probe;
    private readonly TimeProvider _time;
    private readonly IUpstreamPoolState? _pool;

    public CheckHealthHandler(IUpstreamHealthProbe probe, IUpstreamPoolState? pool = null, TimeProvider? time = null)
    {
        _probe = probe;
        _pool = pool;
        _time = time ?? TimeProvider.System;
    }

    public async Task<Unit> Handle(CheckHealth request, CancellationToken cancellationToken)
    {
        if (_pool is not null && AllCircuitsOpen(_pool.Upstreams, _time.GetUtcNow()) is { } open)
        {
            throw open;
        }

        await _probe.ProbeAsync(cancellationToken).ConfigureAwait(false);
        return Unit.Value;
    }

    /// <summary>When every upstream's circuit is open: the failure to report, with the earliest recovery as its
    /// retry-after (throttled when that upstream was opened by throttling, unavailable otherwise). Null when at least
    /// one upstream would take a request.</summary>
    public static UpstreamException? AllCircuitsOpen(IReadOnlyList<UpstreamStatus> upstreams, DateTimeOffset now)
    {
        if (upstreams.Count == 0 || upstreams.Any(u => u.Circuit != UpstreamCircuitState.Open || u.OpenUntil is null || u.OpenUntil <= now))
        {
            return null;
        }

        var first = upstreams.MinBy(u => u.OpenUntil!.Value)!;
        var wait = first.OpenUntil!.Value - now;
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        return first.OpenedBecause == UpstreamFailure.Throttled
            ? new UpstreamException(UpstreamFailure.Throttled,
                $"Every Azure OpenAI upstream is throttling requests (circuits open); retry after {seconds} s.", wait)
            : new UpstreamException(UpstreamFailure.Unavailable,
                $"Every Azure OpenAI upstream is failing (circuits open); retry after {seconds} s.", wait);
    }
}
