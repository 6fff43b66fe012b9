using Wrapper.Application.Common.Exceptions;

namespace Wrapper.Application.Health;

/// <summary>Check that the model service is reachable with our credentials. Derived from the circuit breakers first
/// (when every upstream's circuit is open the answer is known without sending anything), then from the upstream
/// probe, which spends no tokens and whose result is shared for a few seconds.</summary>
public sealed record CheckHealth : IRequest<UpstreamMode>;

public sealed class CheckHealthHandler : IRequestHandler<CheckHealth, UpstreamMode>
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

    public Task<UpstreamMode> Handle(CheckHealth request, CancellationToken cancellationToken)
    {
        if (_pool is not null && UpstreamCoolDown.WhenEveryCircuitIsOpen(_pool.Upstreams, _time.GetUtcNow()) is { } open)
        {
            throw open;
        }

        return _probe.ProbeAsync(cancellationToken);
    }
}
