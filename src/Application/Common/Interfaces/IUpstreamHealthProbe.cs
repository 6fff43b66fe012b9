namespace Wrapper.Application.Common.Interfaces;

/// <summary>Port: checks that the model service is reachable and accepts our credentials.</summary>
public interface IUpstreamHealthProbe
{
    /// <summary>Returns normally when the upstream answered; throws <see cref="Exceptions.UpstreamException"/> otherwise.</summary>
    Task ProbeAsync(CancellationToken cancellationToken);
}
