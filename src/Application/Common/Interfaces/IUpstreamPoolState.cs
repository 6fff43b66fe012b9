namespace Wrapper.Application.Common.Interfaces;

/// <summary>Port: the state of the model-service upstreams and their circuit breakers, for health reporting.
/// Reading it sends nothing upstream.</summary>
public interface IUpstreamPoolState
{
    /// <summary>Every configured upstream, most preferred first (priority, then configuration order).</summary>
    IReadOnlyList<UpstreamStatus> Upstreams { get; }
}

/// <summary>One upstream as the pool sees it now.</summary>
/// <param name="Name">The configured name (never the endpoint's key).</param>
/// <param name="Deployment">The model deployment called there.</param>
/// <param name="Priority">Lower is preferred; upstreams of the same priority share the load by weight.</param>
/// <param name="Weight">Share of the load within its priority.</param>
/// <param name="Circuit">The breaker's state.</param>
/// <param name="OpenUntil">When an open circuit lets a trial request through again; null unless open.</param>
/// <param name="OpenedBecause">The failure that opened the circuit; null when closed.</param>
public sealed record UpstreamStatus(
    string Name,
    string Deployment,
    int Priority,
    int Weight,
    UpstreamCircuitState Circuit,
    DateTimeOffset? OpenUntil,
    Exceptions.UpstreamFailure? OpenedBecause);

/// <summary>A circuit breaker's state.</summary>
public enum UpstreamCircuitState
{
    /// <summary>Requests flow.</summary>
    Closed,
    /// <summary>Cooling down: no request is sent until <see cref="UpstreamStatus.OpenUntil"/>.</summary>
    Open,
    /// <summary>The cool-down is over: the next request is a trial; success closes the circuit, failure opens it again.</summary>
    HalfOpen,
}
