namespace Wrapper.Application.Common.Exceptions;

/// <summary>Why a call to an upstream service (Azure OpenAI, Agent Service) failed.</summary>
public enum UpstreamFailure
{
    /// <summary>The upstream refused our credentials (401/403). Maps to 401 on /health, 502 elsewhere.</summary>
    Authentication,
    /// <summary>The upstream throttled us (429). Carries a retry-after when the upstream gave one. Maps to 429.</summary>
    Throttled,
    /// <summary>The upstream is down or failing (5xx, connection refused or dropped). Maps to 503.</summary>
    Unavailable,
    /// <summary>The upstream did not answer in time. Maps to 504.</summary>
    Timeout,
    /// <summary>The upstream rejected the request as invalid (400). Maps to 400.</summary>
    BadRequest,
    /// <summary>The upstream's content filter blocked the prompt or the answer. Maps to 400 (code content_filter).</summary>
    ContentFiltered,
    /// <summary>The configured deployment or agent does not exist (404). Maps to 502: it is our configuration, not the caller's request.</summary>
    NotFound,
    /// <summary>The upstream answered with something we could not understand, or an agent run failed. Maps to 502.</summary>
    BadResponse,
}
