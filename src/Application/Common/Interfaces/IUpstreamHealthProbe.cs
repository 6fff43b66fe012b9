namespace Wrapper.Application.Common.Interfaces;

/// <summary>Port: checks that the model service is reachable and accepts our credentials.</summary>
public interface IUpstreamHealthProbe
{
    /// <summary>Returns normally when the upstream answered; throws <see cref="Exceptions.UpstreamException"/> otherwise.</summary>
    Task<UpstreamMode> ProbeAsync(CancellationToken cancellationToken);
}

/// <summary>Whether answers come from real Azure or from the built-in simulator.</summary>
public enum UpstreamMode
{
    Azure,
    Simulated,
}
