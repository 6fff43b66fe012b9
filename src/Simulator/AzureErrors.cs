using System.Globalization;
using Microsoft.AspNetCore.WebUtilities;
using Wrapper.Simulator.OpenAI;

namespace Wrapper.Simulator;

/// <summary>Azure-shaped error answers: <c>{"error":{"code":"...","message":"..."}}</c>.</summary>
public static class AzureErrors
{
    /// <summary>Message of Azure's 401 for a wrong or missing <c>api-key</c>.</summary>
    public const string InvalidKeyMessage =
        "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
        + "for an active subscription and use a correct regional API endpoint for your resource.";

    /// <summary>An error answer with <paramref name="status"/> and Azure's body.</summary>
    public static IResult Result(int status, string code, string message) =>
        Result(status, new AzureError(code, message));

    /// <summary>The code and message Azure sends with <paramref name="status"/>.</summary>
    public static (string Code, string Message) ForStatus(int status, int? retryAfterSeconds = null) => status switch
    {
        400 => ("BadRequest", "The request is invalid."),
        401 => ("401", InvalidKeyMessage),
        403 => ("403", "Access denied. The principal does not have permission to perform this operation."),
        404 => ("404", "Resource not found"),
        408 => ("Timeout", "The operation was timeout."),
        429 => ("429", RateLimitMessage(retryAfterSeconds ?? 1)),
        500 => ("InternalServerError", "The server had an error while processing your request. Sorry about that!"),
        502 => ("BadGateway", "Bad gateway."),
        503 => ("ServiceUnavailable", "The service is temporarily unable to process your request. Please try again later."),
        504 => ("GatewayTimeout", "The server did not receive a timely response from the upstream server. Please try again later."),
        _ => (status.ToString(CultureInfo.InvariantCulture), ReasonPhrases.GetReasonPhrase(status)),
    };

    /// <summary>Azure's 429 message for a token rate limit.</summary>
    public static string RateLimitMessage(int retryAfterSeconds, string apiVersion = "2025-04-01-preview") =>
        $"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version {apiVersion} have exceeded "
        + $"token rate limit of your current OpenAI S0 pricing tier. Please retry after {retryAfterSeconds} "
        + $"second{(retryAfterSeconds == 1 ? string.Empty : "s")}. Please go here: https://aka.ms/oai/quotaincrease "
        + "if you would like to further increase the default rate limit.";

    /// <summary>Sets <c>retry-after</c> (whole seconds, at least 1) and <c>retry-after-ms</c>.</summary>
    public static void SetRetryAfter(HttpResponse response, TimeSpan delay)
    {
        var milliseconds = Math.Max(0, (long)Math.Ceiling(delay.TotalMilliseconds));
        var seconds = Math.Max(1, (long)Math.Ceiling(milliseconds / 1000.0));
        response.Headers["retry-after"] = seconds.ToString(CultureInfo.InvariantCulture);
        response.Headers["retry-after-ms"] = milliseconds.ToString(CultureInfo.InvariantCulture);
    }

    internal static IResult Result(int status, AzureError error) =>
        Results.Json(new AzureErrorBody(error), OpenAIJson.Error, statusCode: status);
}
