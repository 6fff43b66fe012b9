using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Wrapper.Simulator.Agents;

/// <summary>
/// Runs before every Agent Service route (classic and new), in this order: the injected fault for target <c>agents</c>
/// (latency, then drop or an error status), the bearer token (401), the <c>api-version</c> query parameter (400, by the
/// endpoint's <see cref="ApiVersionRule"/> or, without one, the classic versions); then it turns an
/// <see cref="AgentApiException"/> of the route into the service's error body.
/// </summary>
internal sealed class AgentRequestFilter(SimulatorOptions options, FaultInjector faults) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (faults.TryTake(FaultInjector.AgentsTarget, out var fault) && await ApplyAsync(fault, http) is { } faulted)
        {
            return faulted;
        }

        if (Authenticate(http.Request) is { } refused)
        {
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return refused;
        }

        var rule = http.GetEndpoint()?.Metadata.GetMetadata<ApiVersionRule>();
        if ((rule is null ? CheckApiVersion(http.Request.Query) : rule.Check(http.Request.Query)) is { } badVersion)
        {
            return badVersion;
        }

        try
        {
            return await next(context);
        }
        catch (AgentApiException refusal)
        {
            return refusal.ToResult();
        }
    }

    /// <summary>Applies <paramref name="fault"/>; null when the request is then to be served normally.</summary>
    private static async Task<IResult?> ApplyAsync(FaultSpec fault, HttpContext http)
    {
        if (fault.LatencyMs > 0)
        {
            try
            {
                await Task.Delay(fault.LatencyMs, http.RequestAborted);
            }
            catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
            {
                return Results.Empty;
            }
        }

        if (fault.Drop)
        {
            http.Items[FaultResponder.DroppedItemKey] = true;
            http.Abort();
            return Results.Empty;
        }

        if (fault.Status is not { } status)
        {
            return null;
        }

        if (fault.RetryAfterSeconds is { } retryAfter)
        {
            http.Response.Headers.RetryAfter = retryAfter.ToString(CultureInfo.InvariantCulture);
            http.Response.Headers["retry-after-ms"] = (retryAfter * 1000L).ToString(CultureInfo.InvariantCulture);
        }

        var (code, message) = status switch
        {
            StatusCodes.Status400BadRequest => ("invalid_request_error", "The request is invalid (injected fault)."),
            StatusCodes.Status401Unauthorized => ("unauthorized", "Access denied due to invalid credentials (injected fault)."),
            StatusCodes.Status403Forbidden => ("forbidden", "The principal does not have access to this project (injected fault)."),
            StatusCodes.Status404NotFound => ("not_found", "Resource not found (injected fault)."),
            StatusCodes.Status408RequestTimeout => ("timeout", "The request timed out (injected fault)."),
            StatusCodes.Status429TooManyRequests => ("rate_limit_exceeded",
                fault.RetryAfterSeconds is { } seconds
                    ? string.Create(CultureInfo.InvariantCulture, $"Rate limit is exceeded. Try again in {seconds} seconds.")
                    : "Rate limit is exceeded. Try again later."),
            StatusCodes.Status500InternalServerError => ("server_error", "The server had an error while processing your request (injected fault)."),
            StatusCodes.Status502BadGateway => ("bad_gateway", "Bad gateway (injected fault)."),
            StatusCodes.Status503ServiceUnavailable => ("service_unavailable", "The service is temporarily unavailable (injected fault)."),
            StatusCodes.Status504GatewayTimeout => ("gateway_timeout", "The upstream timed out (injected fault)."),
            _ => (string.Create(CultureInfo.InvariantCulture, $"http_{status}"), "Injected fault."),
        };
        return AgentErrors.Result(status, code, message);
    }

    private IResult? Authenticate(HttpRequest request)
    {
        const string scheme = "Bearer ";
        var header = request.Headers[HeaderNames.Authorization].ToString();
        var token = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : "";
        if (token.Length == 0)
        {
            return AgentErrors.Result(
                StatusCodes.Status401Unauthorized,
                "unauthorized",
                "Access denied: the request has no bearer token. Send 'Authorization: Bearer <token>' for the scope https://ai.azure.com/.default.");
        }

        if (options.AgentBearerToken is { Length: > 0 } expected
            && !CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(expected)))
        {
            return AgentErrors.Result(
                StatusCodes.Status401Unauthorized,
                "unauthorized",
                "Access denied: the bearer token is not valid for this project.");
        }

        return null;
    }

    private IResult? CheckApiVersion(IQueryCollection query)
    {
        var accepted = options.Agents.ApiVersions.Count > 0 ? options.Agents.ApiVersions : AgentSimulatorOptions.DefaultApiVersions;
        var version = query["api-version"].ToString();
        if (version.Length == 0)
        {
            return AgentErrors.Result(
                StatusCodes.Status400BadRequest,
                "missing_required_parameter",
                $"Missing required query parameter 'api-version'. Supported versions: {string.Join(", ", accepted)}.",
                "api-version");
        }

        return accepted.Contains(version, StringComparer.Ordinal)
            ? null
            : AgentErrors.Result(
                StatusCodes.Status400BadRequest,
                "unsupported_api_version",
                $"Unsupported api-version '{version}'. Supported versions: {string.Join(", ", accepted)}.",
                "api-version");
    }
}

/// <summary>
/// The api-versions one group of Agent Service routes accepts (endpoint metadata read by <see cref="AgentRequestFilter"/>).
/// <paramref name="Required"/>: a missing <c>api-version</c> is a 400; otherwise it may be left out.
/// </summary>
public sealed record ApiVersionRule(IReadOnlyList<string> Accepted, bool Required)
{
    /// <summary>The refusal for <paramref name="query"/>'s <c>api-version</c>, or null when it is accepted.</summary>
    public IResult? Check(IQueryCollection query)
    {
        var version = query["api-version"].ToString();
        if (version.Length == 0)
        {
            return Required
                ? AgentErrors.Result(
                    StatusCodes.Status400BadRequest,
                    "missing_required_parameter",
                    $"Missing required query parameter 'api-version'. Supported versions: {string.Join(", ", Accepted)}.",
                    "api-version")
                : null;
        }

        return Accepted.Contains(version, StringComparer.Ordinal)
            ? null
            : AgentErrors.Result(
                StatusCodes.Status400BadRequest,
                "unsupported_api_version",
                $"Unsupported api-version '{version}'. Supported versions: {string.Join(", ", Accepted)}.",
                "api-version");
    }
}
