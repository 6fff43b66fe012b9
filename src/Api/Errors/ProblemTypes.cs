namespace Wrapper.Api.Errors;

/// <summary>The <c>type</c> URIs of our ProblemDetails: the RFC section that defines each status, in the same
/// form ASP.NET Core uses for the problems it makes itself (404, 405, 415).</summary>
public static class ProblemTypes
{
    public const string BadRequest = "https://tools.ietf.org/html/rfc9110#section-15.5.1";
    public const string Unauthorized = "https://tools.ietf.org/html/rfc9110#section-15.5.2";
    public const string Forbidden = "https://tools.ietf.org/html/rfc9110#section-15.5.4";
    public const string NotFound = "https://tools.ietf.org/html/rfc9110#section-15.5.5";
    public const string ContentTooLarge = "https://tools.ietf.org/html/rfc9110#section-15.5.14";
    public const string TooManyRequests = "https://tools.ietf.org/html/rfc6585#section-4";
    public const string InternalServerError = "https://tools.ietf.org/html/rfc9110#section-15.6.1";
    public const string BadGateway = "https://tools.ietf.org/html/rfc9110#section-15.6.3";
    public const string ServiceUnavailable = "https://tools.ietf.org/html/rfc9110#section-15.6.4";
    public const string GatewayTimeout = "https://tools.ietf.org/html/rfc9110#section-15.6.5";

    /// <summary>The type URI for a status we answer with, falling back to the status class.</summary>
    public static string ForStatus(int status) => status switch
    {
        StatusCodes.Status400BadRequest => BadRequest,
        StatusCodes.Status401Unauthorized => Unauthorized,
        StatusCodes.Status403Forbidden => Forbidden,
        StatusCodes.Status404NotFound => NotFound,
        StatusCodes.Status413PayloadTooLarge => ContentTooLarge,
        StatusCodes.Status429TooManyRequests => TooManyRequests,
        StatusCodes.Status502BadGateway => BadGateway,
        StatusCodes.Status503ServiceUnavailable => ServiceUnavailable,
        StatusCodes.Status504GatewayTimeout => GatewayTimeout,
        >= 500 => InternalServerError,
        _ => BadRequest,
    };
}

/// <summary>The machine-readable <c>code</c> extension of our ProblemDetails.</summary>
public static class ProblemCodes
{
    public const string ValidationFailed = "validation_failed";
    public const string RequestTooLarge = "request_too_large";
    public const string BadHttpRequest = "bad_request";
    public const string InternalError = "internal_error";
    public const string UpstreamAuthenticationFailed = "upstream_authentication_failed";
    public const string RateLimited = "rate_limited";
    /// <summary>A client over its own request rate (a client refusal, unlike <see cref="RateLimited"/>: the upstream's).</summary>
    public const string ClientRateLimited = "client_rate_limited";
    public const string UpstreamUnavailable = "upstream_unavailable";
    public const string UpstreamTimeout = "upstream_timeout";
    public const string UpstreamRejectedRequest = "upstream_rejected_request";
    public const string ContentFilter = "content_filter";
    public const string UpstreamNotFound = "upstream_not_found";
    public const string UpstreamBadResponse = "upstream_bad_response";
    public const string ThreadNotFound = "thread_not_found";
    public const string ConversationNotFound = "conversation_not_found";
}
