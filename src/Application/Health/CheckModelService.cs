using Wrapper.Application.Common.Exceptions;

namespace Wrapper.Application.Health;

/// <summary>Check that the model service (Azure OpenAI) answers with our credentials: returns when it does; a model
/// service that cannot be used is an <see cref="UpstreamException"/>. Derived from
/// the circuit breakers first (when every upstream's circuit is open the answer is known without sending anything),
/// then from the upstream probe, which spends no tokens and whose result is shared for a few seconds. The health
/// surfaces read it through one query (src/Api/Health/HealthReportQuery.cs).</summary>
public sealed record CheckModelService : IRequest<Unit>;

public sealed class CheckModelServiceHandler : IRequestHandler<CheckModelService, Unit>
{
    private readonly IUpstreamHealthProbe _probe;
    private readonly TimeProvider _time;
    private readonly IUpstreamPoolState? _pool;

    public CheckModelServiceHandler(IUpstreamHealthProbe probe, IUpstreamPoolState? pool = null, TimeProvider? time = null)
    {
        _probe = probe;
        _pool = pool;
        _time = time ?? TimeProvider.System;
    }

    public async Task<Unit> Handle(CheckModelService request, CancellationToken cancellationToken)
    {
        if (_pool is not null && UpstreamCoolDown.WhenEveryCircuitIsOpen(_pool.Upstreams, _time.GetUtcNow()) is { } open)
        {
            throw open;
        }

        await _probe.ProbeAsync(cancellationToken).ConfigureAwait(false);
        return Unit.Value;
    }
}
