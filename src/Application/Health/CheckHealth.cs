namespace Wrapper.Application.Health;

/// <summary>Check that the model service is reachable with our credentials.</summary>
public sealed record CheckHealth : IRequest<UpstreamMode>;

public sealed class CheckHealthHandler : IRequestHandler<CheckHealth, UpstreamMode>
{
    private readonly IUpstreamHealthProbe _probe;

    public CheckHealthHandler(IUpstreamHealthProbe probe) => _probe = probe;

    public Task<UpstreamMode> Handle(CheckHealth request, CancellationToken cancellationToken) => _probe.ProbeAsync(cancellationToken);
}
