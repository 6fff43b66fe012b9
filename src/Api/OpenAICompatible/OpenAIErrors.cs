using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Wrapper.Api.Errors;

namespace Wrapper.Api.OpenAICompatible;

/// <summary>
/// OpenAI's error shape, <c>{"error":{"message","type","param","code"}}</c>, for every error answer of the
/// OpenAI-compatible routes (<c>/openai/...</c>). It is not a second set of rules: every refusal and failure is still
/// built by <see cref="ApiProblem"/> (status, <c>code</c>, Retry-After, <c>X-Wrapper-Refusal: client</c>); this only
/// writes that problem's body in the shape the OpenAI and Azure OpenAI SDKs read, as <see cref="OpenAIErrorWriter"/>
/// (an <see cref="IProblemDetailsWriter"/> for those paths) and in a stream's error event.
/// <list type="bullet">
/// <item><c>message</c>: the problem's detail (for a validation failure, each field's message);</item>
/// <item><c>type</c>: from the status, as OpenAI names them: <c>invalid_request_error</c> (400, 401, 404, 413, 415),
/// <c>insufficient_quota</c> (403, the client's token quota), <c>tokens</c> or <c>requests</c> (429, after the limit that
/// refused), <c>server_error</c> (5xx);</item>
/// <item><c>param</c>: the first invalid field, or <c>model</c> for an unknown model; otherwise null;</item>
/// <item><c>code</c>: the problem's <c>code</c> (<c>invalid_api_key</c>, <c>model_not_found</c>,
/// <c>client_token_limit</c>, <c>rate_limited</c>, <c>content_filter</c>, <c>upstream_unavailable</c>, ...).</item>
/// </list>
/// A Retry-After also goes out as <c>retry-after-ms</c>, which the OpenAI SDKs read first.
/// </summary>
public static class OpenAIErrors
{
    /// <summary>The path prefix of the OpenAI-compatible routes.</summary>
    public const string PathPrefix = "/openai";

    /// <summary>The extension that carries <c>param</c> into the body (set by the problem's builder).</summary>
    public const string ParamExtension = "param";

    public const string RetryAfterMs = "retry-after-ms";

    /// <summary>True for a request to an OpenAI-compatible route.</summary>
    public static bool IsOpenAIPath(HttpContext context) =>
        context.Request.Path.StartsWithSegments(PathPrefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>OpenAI's <c>error.type</c> for a status and code.</summary>
    public static string TypeFor(int status, string? code) => status switch
    {
        StatusCodes.Status403Forbidden when code == "client_quota_exceeded" => "insufficient_quota",
        StatusCodes.Status429TooManyRequests => code == "client_token_limit" ? "tokens" : "requests",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    /// <summary>Writes <c>{"error":{...}}</c> for <paramref name="problem"/>.</summary>
    public static void Write(Utf8JsonWriter json, ProblemDetails problem)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentNullException.ThrowIfNull(problem);
        var status = problem.Status ?? StatusCodes.Status500InternalServerError;
        var code = problem.Extensions.TryGetValue("code", out var c) ? c?.ToString() : null;
        string? message = problem.Detail;
        string? param = problem.Extensions.TryGetValue(ParamExtension, out var p) ? p?.ToString() : null;
        if (problem is HttpValidationProblemDetails { Errors.Count: > 0 } validation)
        {
            param ??= validation.Errors.Keys.First();
            message = string.Join(" ", validation.Errors.SelectMany(e => e.Value.Select(m => m.Contains(e.Key, StringComparison.Ordinal) ? m : $"{e.Key}: {m}")));
        }

        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("message", message ?? problem.Title ?? "The request failed.");
        json.WriteString("type", TypeFor(status, code));
        if (param is null)
        {
            json.WriteNull("param");
        }
        else
        {
            json.WriteString("param", param);
        }

        if (code is null)
        {
            json.WriteNull("code");
        }
        else
        {
            json.WriteString("code", code);
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>Adds <c>retry-after-ms</c> beside a Retry-After already set in seconds.</summary>
    public static void AddRetryAfterMs(HttpResponse response)
    {
        if (long.TryParse(response.Headers.RetryAfter.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            response.Headers[RetryAfterMs] = (seconds * 1000).ToString(CultureInfo.InvariantCulture);
        }
    }
}

/// <summary>Writes every ProblemDetails answer of an OpenAI-compatible route in OpenAI's error shape
/// (<see cref="OpenAIErrors"/>): the key check's 401, the limiter's and the quotas' 429/403, validation's 400, an
/// unknown model's 404, an upstream failure's 4xx/5xx, the body limit's 413, and status-code pages (unknown route 404,
/// 405, 415). Registered first, so that it is asked before the default writer.</summary>
public sealed class OpenAIErrorWriter : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => OpenAIErrors.IsOpenAIPath(context.HttpContext);

    public async ValueTask WriteAsync(ProblemDetailsContext context)
    {
        var http = context.HttpContext;
        http.Response.ContentType = "application/json; charset=utf-8";
        OpenAIErrors.AddRetryAfterMs(http.Response);
        await using var json = new Utf8JsonWriter(http.Response.Body);
        OpenAIErrors.Write(json, context.ProblemDetails);
        await json.FlushAsync(http.RequestAborted);
    }
}
