using System.Globalization;
using Wrapper.Application.Quotas;

namespace Wrapper.Api.Errors;

/// <summary>
/// The response side of the per-client quotas: <c>x-ratelimit-remaining-requests</c> and
/// <c>x-ratelimit-remaining-tokens</c> on every answer to a metered request (the limits that apply: none when the client
/// is unlimited). Refusals by those limits carry <see cref="WrapperHeaders.Refusal"/>: <c>client</c> (set by
/// <see cref="ApiExceptionHandler"/>), so that no gateway counts them as a backend failure.
/// </summary>
public static class QuotaResponses
{
    public const string RemainingRequests = "x-ratelimit-remaining-requests";
    public const string RemainingTokens = "x-ratelimit-remaining-tokens";

    /// <summary>Writes the remaining counts of <paramref name="decision"/> on the response.</summary>
    public static void WriteRemaining(HttpResponse response, QuotaDecision decision)
    {
        if (decision.RemainingRequests is { } requests)
        {
            response.Headers[RemainingRequests] = requests.ToString(CultureInfo.InvariantCulture);
        }

        if (decision.RemainingTokens is { } tokens)
        {
            response.Headers[RemainingTokens] = tokens.ToString(CultureInfo.InvariantCulture);
        }
    }
}

/// <summary>Adds the quota headers of the request's decision (<see cref="QuotaStatus"/>) when the response starts.</summary>
public sealed class QuotaHeadersMiddleware
{
    private readonly RequestDelegate _next;

    public QuotaHeadersMiddleware(RequestDelegate next) => _next = next;

    public Task InvokeAsync(HttpContext context, QuotaStatus status)
    {
        context.Response.OnStarting(static state =>
        {
            var (response, status) = ((HttpResponse, QuotaStatus))state;
            if (status.Decision is { } decision)
            {
                QuotaResponses.WriteRemaining(response, decision);
            }

            return Task.CompletedTask;
        }, (context.Response, status));
        return _next(context);
    }
}
