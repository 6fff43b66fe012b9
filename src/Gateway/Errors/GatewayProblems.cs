using Microsoft.AspNetCore.Mvc;
using Wrapper.Gateway.Configuration;
using Wrapper.Gateway.Correlation;
using Wrapper.Gateway.Health;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Wrapper.Gateway.Errors;

/// <summary>The answers the gateway makes itself, as RFC 9457 problem details with a <c>code</c> extension.</summary>
public sealed class GatewayProblems
{
    public const string NoHealthyBackend = "no_healthy_backend";
    public const string BackendUnreachable = "backend_unreachable";
    public const string BackendTimeout = "backend_timeout";
    public const string MissingSubscriptionKey = "missing_subscription_key";
    public const string InvalidSubscriptionKey = "invalid_subscription_key";

    private readonly BackendLedger _ledger;
    private readonly GatewayOptions _options;

    public GatewayProblems(BackendLedger ledger, Microsoft.Extensions.Options.IOptions<GatewayOptions> options)
    {
        _ledger = ledger;
        _options = options.Value;
    }

    /// <summary>503 with <c>Retry-After</c> = the earliest time a backend may be back.</summary>
    public Task NoHealthyBackendAsync(HttpContext context, ClusterState cluster)
    {
        var wait = EarliestReturn(cluster);
        context.Response.Clear();
        context.Response.Headers.RetryAfter = RetryAfter.ToHeaderValue(wait);
        return WriteAsync(context, StatusCodes.Status503ServiceUnavailable, NoHealthyBackend,
            "No healthy backend",
            $"Every backend is out of the pool (failing, throttled or unreachable). Retry after {RetryAfter.ToHeaderValue(wait)} s.");
    }

    /// <summary>502 (or 504 on a timeout) when the last backend tried could not be reached.</summary>
    public Task BackendFailedAsync(HttpContext context, DestinationState destination, ForwarderError error)
    {
        var timedOut = error == ForwarderError.RequestTimedOut;
        context.Response.Clear();
        return timedOut
            ? WriteAsync(context, StatusCodes.Status504GatewayTimeout, BackendTimeout, "Backend timeout",
                $"Backend '{destination.DestinationId}' did not answer in time.")
            : WriteAsync(context, StatusCodes.Status502BadGateway, BackendUnreachable, "Backend unreachable",
                $"Backend '{destination.DestinationId}' could not be reached and no other healthy backend was left to try.");
    }

    /// <summary>401 when subscribers are configured and the caller presented no key, or a key of none of them; on the
    /// OpenAI-compatible routes (<paramref name="openAI"/>) in OpenAI's error shape, which their SDKs read.</summary>
    public Task SubscriptionKeyRequiredAsync(HttpContext context, bool missing, bool openAI = false)
    {
        context.Response.Clear();
        context.Response.Headers.WWWAuthenticate = openAI ? "Bearer" : "ApiKey header=\"Ocp-Apim-Subscription-Key\"";
        var code = missing ? MissingSubscriptionKey : InvalidSubscriptionKey;
        if (openAI)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return context.Response.WriteAsJsonAsync(new
            {
                error = new
                {
                    message = missing
                        ? "Send your subscription key as 'Authorization: Bearer <key>' or in the 'api-key' header."
                        : "The subscription key is not valid.",
                    type = "invalid_request_error",
                    param = (string?)null,
                    code,
                },
            });
        }

        return WriteAsync(context, StatusCodes.Status401Unauthorized, code,
            "A valid subscription key is required",
            missing
                ? "Send your subscription key in the 'Ocp-Apim-Subscription-Key' (or 'api-key') header."
                : "The subscription key is not valid.");
    }

    /// <summary>How long until the first backend may rejoin: the end of its passive ejection
    /// (<c>Retry-After</c> or the reactivation period), or the next active probe.</summary>
    public TimeSpan EarliestReturn(ClusterState cluster)
    {
        TimeSpan? earliest = null;
        var now = _ledger.Now;
        foreach (var destination in cluster.DestinationsState.AllDestinations)
        {
            var wait = TimeSpan.Zero;
            if (destination.Health.Passive == DestinationHealth.Unhealthy)
            {
                wait = _ledger.UnhealthyUntil(destination.DestinationId) is { } until ? until - now : _options.PassiveHealth.ReactivationPeriod;
            }

            if (destination.Health.Active == DestinationHealth.Unhealthy && _options.ActiveHealth.Interval > wait)
            {
                wait = _options.ActiveHealth.Interval;
            }

            if (earliest is null || wait < earliest)
            {
                earliest = wait;
            }
        }

        return earliest is { } found && found > TimeSpan.Zero ? found : TimeSpan.FromSeconds(1);
    }

    private static Task WriteAsync(HttpContext context, int status, string code, string title, string detail)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = detail,
            Type = status switch
            {
                StatusCodes.Status503ServiceUnavailable => "https://tools.ietf.org/html/rfc9110#section-15.6.4",
                StatusCodes.Status504GatewayTimeout => "https://tools.ietf.org/html/rfc9110#section-15.6.5",
                StatusCodes.Status401Unauthorized => "https://tools.ietf.org/html/rfc9110#section-15.5.2",
                _ => "https://tools.ietf.org/html/rfc9110#section-15.6.3",
            },
            Instance = context.Request.Path,
        };
        problem.Extensions["code"] = code;
        if (context.GetCorrelationId() is { } correlationId)
        {
            problem.Extensions["correlationId"] = correlationId;
        }

        context.Response.StatusCode = status;
        return TypedResults.Problem(problem).ExecuteAsync(context);
    }
}
