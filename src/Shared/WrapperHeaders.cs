namespace Wrapper;

/// <summary>
/// The header names that the service (src/Api), the gateway (src/Gateway) and the API Management policies
/// (deploy/apim/*.xml, checked by tests/DeployTests) agree on. One file, compiled into each project that needs it
/// (linked, hence <c>internal</c>), so that the names cannot drift apart; deploy/README.md documents the contract.
/// </summary>
internal static class WrapperHeaders
{
    /// <summary>On a response: why the service refused the request. <see cref="ClientRefusal"/> means the client
    /// caused it (over its rate limit, no or a wrong key, a body too large): the instance is healthy, so a gateway
    /// must neither count the answer as a backend failure nor retry it on another instance. In src/Api it is set in one
    /// place, by the error-answer builder (src/Api/Errors/ApiProblem.cs, <c>ClientRefusal</c>).</summary>
    public const string Refusal = "X-Wrapper-Refusal";

    /// <summary>The value of <see cref="Refusal"/> on refusals caused by the client.</summary>
    public const string ClientRefusal = "client";

    /// <summary>On a request from the gateway: the caller's APIM subscription id. Trusted by the service only on
    /// requests authenticated with a key configured as a gateway's; the gateway removes any value a client sent.</summary>
    public const string SubscriptionId = "X-APIM-Subscription-Id";

    /// <summary>On a request from the gateway: the caller's APIM product id (absent for subscriptions scoped to an
    /// API or to all APIs). Same trust rule as <see cref="SubscriptionId"/>.</summary>
    public const string ProductId = "X-APIM-Product-Id";

    /// <summary>On a request from the gateway: which backend slot the gateway chose (0-4 behind APIM, the backend's
    /// name behind src/Gateway), so the instance can log which slot it serves.</summary>
    public const string BackendInstance = "X-Backend-Instance";
}
