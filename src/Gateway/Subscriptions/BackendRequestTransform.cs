using Microsoft.Extensions.Options;
using Wrapper.Gateway.Configuration;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms;

namespace Wrapper.Gateway.Subscriptions;

/// <summary>
/// Runs on every request sent to a backend (every try of a failover too), as the APIM policies' inbound section does:
/// <list type="bullet">
/// <item><c>X-Backend-Instance</c> = the name of the backend chosen for this try;</item>
/// <item><c>X-APIM-Subscription-Id</c> / <c>X-APIM-Product-Id</c>: whatever the client sent is removed, and the
/// subscriber admitted by <see cref="SubscriptionKeyMiddleware"/> is set;</item>
/// <item>with subscribers configured, the caller's credentials (<c>api-key</c>, <c>Authorization</c>,
/// <c>Ocp-Apim-Subscription-Key</c>) stay at the gateway, and <see cref="GatewayOptions.BackendApiKey"/> goes in
/// <c>api-key</c> instead.</item>
/// </list>
/// </summary>
public sealed class BackendRequestTransform : RequestTransform
{
    private readonly bool _subscriptionsOn;
    private readonly string? _backendApiKey;

    public BackendRequestTransform(IOptions<GatewayOptions> options)
    {
        _subscriptionsOn = options.Value.Subscribers.Count > 0;
        _backendApiKey = string.IsNullOrEmpty(options.Value.BackendApiKey) ? null : options.Value.BackendApiKey;
    }

    public override ValueTask ApplyAsync(RequestTransformContext context)
    {
        var headers = context.ProxyRequest.Headers;
        headers.Remove(WrapperHeaders.SubscriptionId);
        headers.Remove(WrapperHeaders.ProductId);
        headers.Remove(WrapperHeaders.BackendInstance);
        if (context.HttpContext.Features.Get<IReverseProxyFeature>()?.ProxiedDestination is { } destination)
        {
            headers.TryAddWithoutValidation(WrapperHeaders.BackendInstance, destination.DestinationId);
        }

        if (_subscriptionsOn)
        {
            headers.Remove(SubscriptionKeyMiddleware.SubscriptionKeyHeader);
            headers.Remove(SubscriptionKeyMiddleware.ApiKeyHeader);
            headers.Authorization = null;
            if (context.HttpContext.Features.Get<Subscriber>() is { } subscriber)
            {
                headers.TryAddWithoutValidation(WrapperHeaders.SubscriptionId, subscriber.Id);
                if (subscriber.Product is not null)
                {
                    headers.TryAddWithoutValidation(WrapperHeaders.ProductId, subscriber.Product);
                }
            }
        }

        if (_backendApiKey is not null)
        {
            headers.Remove(SubscriptionKeyMiddleware.ApiKeyHeader);
            headers.TryAddWithoutValidation(SubscriptionKeyMiddleware.ApiKeyHeader, _backendApiKey);
        }

        return default;
    }
}
