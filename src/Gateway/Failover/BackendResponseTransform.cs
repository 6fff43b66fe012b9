using Wrapper.Gateway.Configuration;
using Wrapper.Gateway.Health;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy.Transforms;

namespace Wrapper.Gateway.Failover;

/// <summary>
/// Runs on every backend response before anything reaches the client: records the backend's status and
/// <c>Retry-After</c> on the <see cref="ForwardAttempt"/>, names the backend in <c>X-Served-By-Instance</c>, and holds
/// back the body of a failed answer (<see cref="FailoverOptions.RetryStatusCodes"/>) when another backend will be
/// tried, so that nothing of it is sent. An answer marked <c>X-Wrapper-Refusal: client</c> is never held back.
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
        var refusedClient = IsClientRefusal(response);
        attempt?.RecordResponse(status, RetryAfter.From(response, _time.GetUtcNow()), response.Headers.WwwAuthenticate.Count > 0, refusedClient);
        context.HttpContext.Response.Headers[ServedByHeader] = destination.DestinationId;

        // A refusal the client caused (its own rate limit, ...) is its answer: another backend would only let it spend
        // that backend's budget too.
        if (attempt is { IsLast: false } && !refusedClient && _retryStatuses.Contains(status))
        {
            attempt.Suppress();
            context.SuppressResponseBody = true;
        }

        return default;
    }

    /// <summary>True when the backend marked its answer <c>X-Wrapper-Refusal: client</c>.</summary>
    public static bool IsClientRefusal(HttpResponseMessage response) =>
        response.Headers.TryGetValues(WrapperHeaders.Refusal, out var values)
        && values.Any(value => string.Equals(value.Trim(), WrapperHeaders.ClientRefusal, StringComparison.OrdinalIgnoreCase));
}
