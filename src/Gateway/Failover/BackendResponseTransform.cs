using Wrapper.Gateway.Configuration;
using Wrapper.Gateway.Health;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms;

namespace Wrapper.Gateway.Failover;

/// <summary>
/// Runs on every backend response before anything reaches the client: records the backend's status and
/// <c>Retry-After</c> on the <see cref="ForwardAttempt"/>, names the backend in <c>X-Served-By-Instance</c>, and holds
/// back the body of a failed answer (<see cref="FailoverOptions.RetryStatusCodes"/>) when another backend will be
/// tried, so that nothing of it is sent.
/// </summary>
public sealed class BackendResponseTransform : ResponseTransform
{
    public const string ServedByHeader = "X-Served-By-Instance";

    private readonly StatusCodeSet _retryStatuses;
    private readonly TimeProvider _time;

    public BackendResponseTransform(StatusCodeSet retryStatuses, TimeProvider time)
    {
        _retryStatuses = retryStatuses;
        _time = time;
    }

    public override ValueTask ApplyAsync(ResponseTransformContext context)
    {
        var response = context.ProxyResponse;
        var destination = context.HttpContext.Features.Get<IReverseProxyFeature>()?.ProxiedDestination;
        if (response is null || destination is null)
        {
            // A transport error: the failover middleware and the passive policy read IForwarderErrorFeature.
            return default;
        }

        var status = (int)response.StatusCode;
        var attempt = context.HttpContext.Features.Get<ForwardAttempt>();
        attempt?.RecordResponse(status, RetryAfter.From(response, _time.GetUtcNow()), response.Headers.WwwAuthenticate.Count > 0);
        context.HttpContext.Response.Headers[ServedByHeader] = destination.DestinationId;

        if (attempt is { IsLast: false } && _retryStatuses.Contains(status))
        {
            attempt.Suppress();
            context.SuppressResponseBody = true;
        }

        return default;
    }
}
