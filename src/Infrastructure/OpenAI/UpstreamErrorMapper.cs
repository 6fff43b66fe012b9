using System.ClientModel;
using System.ClientModel.Primitives;
using System.Diagnostics.CodeAnalysis;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Identity;
using Wrapper.Application.Common.Exceptions;

namespace Wrapper.Infrastructure.OpenAI;

/// <summary>
/// Turns whatever the Azure OpenAI SDK threw into a typed <see cref="UpstreamException"/>. The messages are our own
/// wording plus, at most, the upstream's error code (checked to be a plain identifier): never keys, tokens or
/// upstream bodies. Caller cancellation is not handled here: the caller rethrows it before mapping.
/// </summary>
public static partial class UpstreamErrorMapper
{
    private const string Upstream = "Azure OpenAI";

    /// <summary>Maps an exception of one call.</summary>
    /// <param name="exception">What the SDK threw.</param>
    /// <param name="deployment">The deployment called, named in the not-found message.</param>
    /// <param name="timeout">The call's overall deadline, named in the timeout message.</param>
    /// <param name="now">The current time, to read an HTTP-date retry-after.</param>
    public static UpstreamException Map(Exception exception, string deployment, TimeSpan timeout, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(exception);

        // The retry policy throws an AggregateException of every try's failure when several tries failed: the
        // last one says how the call ended.
        var last = exception is AggregateException { InnerExceptions.Count: > 0 } aggregate ? aggregate.InnerExceptions[^1] : exception;

        return last switch
        {
            OperationCanceledException => Timeout(timeout, exception),
            AuthenticationFailedException =>
                new UpstreamException(UpstreamFailure.Authentication, $"Could not obtain an Entra ID token for {Upstream} (DefaultAzureCredential).",
                    innerException: exception),
            ClientResultException { Status: > 0 } result => FromStatus(result, deployment, timeout, now),
            ClientResultException or HttpRequestException or IOException or SocketException =>
                new UpstreamException(UpstreamFailure.Unavailable, $"{Upstream} could not be reached (the connection failed or was dropped).",
                    innerException: exception),
            _ => new UpstreamException(UpstreamFailure.BadResponse, $"{Upstream} returned an answer that could not be read.",
                innerException: exception),
        };
    }

    private static UpstreamException Timeout(TimeSpan timeout, Exception exception) =>
        new(UpstreamFailure.Timeout, $"{Upstream} did not answer within {timeout.TotalSeconds:0.###} s.", innerException: exception);

    private static UpstreamException FromStatus(ClientResultException exception, string deployment, TimeSpan timeout, DateTimeOffset now)
    {
        var status = exception.Status;
        var response = exception.GetRawResponse();
        var retryAfter = RetryAfterHeader.Read(response, now);
        var code = ErrorCode(response);
        var codeSuffix = code is null ? string.Empty : $" (code: {code})";

        switch (status)
        {
            case 401 or 403:
                return new UpstreamException(UpstreamFailure.Authentication,
                    $"{Upstream} refused our credentials ({status}){codeSuffix}.", upstreamStatus: status, innerException: exception);
            case 429:
                var wait = retryAfter is { } r ? $"; retry after {Math.Ceiling(r.TotalSeconds):0} s" : string.Empty;
                return new UpstreamException(UpstreamFailure.Throttled,
                    $"{Upstream} is throttling requests{wait}{codeSuffix}.", retryAfter, status, exception);
            case 400 when IsContentFilter(code, response):
                return new UpstreamException(UpstreamFailure.ContentFiltered,
                    $"{Upstream}'s content filter blocked the prompt (code: content_filter).", upstreamStatus: status, innerException: exception);
            case 400 or 413 or 422:
                return new UpstreamException(UpstreamFailure.BadRequest,
                    $"{Upstream} rejected the request as invalid ({status}){codeSuffix}.", upstreamStatus: status, innerException: exception);
            case 404:
                return new UpstreamException(UpstreamFailure.NotFound,
                    $"{Upstream} deployment '{deployment}' not found{codeSuffix}.", upstreamStatus: status, innerException: exception);
            case 408:
                return new UpstreamException(UpstreamFailure.Timeout,
                    $"{Upstream} timed out answering the request (408).", retryAfter, status, exception);
            case 500 or 502 or 503 or 504:
                return new UpstreamException(UpstreamFailure.Unavailable,
                    $"{Upstream} is unavailable ({status}){codeSuffix}.", retryAfter, status, exception);
            default:
                return new UpstreamException(UpstreamFailure.BadResponse,
                    $"{Upstream} answered with unexpected status {status}{codeSuffix}.", upstreamStatus: status, innerException: exception);
        }
    }

    /// <summary>Azure marks a blocked prompt with <c>error.code = content_filter</c>; older versions say
    /// <c>ResponsibleAIPolicyViolation</c> in <c>error.innererror.code</c>.</summary>
    private static bool IsContentFilter(string? code, PipelineResponse? response) =>
        string.Equals(code, "content_filter", StringComparison.OrdinalIgnoreCase)
        || string.Equals(ReadError(response, inner: true), "ResponsibleAIPolicyViolation", StringComparison.OrdinalIgnoreCase);

    private static string? ErrorCode(PipelineResponse? response) => ReadError(response, inner: false);

    private static string? ReadError(PipelineResponse? response, bool inner)
    {
        if (response is null)
        {
            return null;
        }

        try
        {
            var content = response.Content;
            if (content is null || content.ToMemory().IsEmpty)
            {
                return null;
            }

            using var document = JsonDocument.Parse(content);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (inner)
            {
                if (!error.TryGetProperty("innererror", out error) || error.ValueKind != JsonValueKind.Object)
                {
                    return null;
                }
            }

            // Only a plain identifier is ever repeated to the caller; anything else could be free text.
            return error.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String
                   && code.GetString() is { } text && IsPlainCode(text)
                ? text
                : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Whether an upstream error code is a plain identifier, the only kind ever repeated to the caller
    /// (anything else could be free text).</summary>
    internal static bool IsPlainCode([NotNullWhen(true)] string? code) => code is not null && PlainCode().IsMatch(code);

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainCode();
}
