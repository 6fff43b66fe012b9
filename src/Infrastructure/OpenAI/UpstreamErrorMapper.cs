using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Sockets;
using Azure.Identity;
using Wrapper.Application.Common.Exceptions;
using Wrapper.Infrastructure.Upstream;

namespace Wrapper.Infrastructure.OpenAI;

/// <summary>
/// Turns whatever the Azure OpenAI SDK threw into a typed <see cref="UpstreamException"/>: error statuses through the
/// one status map (<see cref="UpstreamStatusMap"/>, shared with the Agent Service), connection failures and timeouts
/// here. The messages never contain keys, tokens or upstream bodies. Caller cancellation is not handled here: the caller
/// rethrows it before mapping.
/// </summary>
public static class UpstreamErrorMapper
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
            ClientResultException { Status: > 0 } result => FromStatus(result, deployment, now),
            ClientResultException or HttpRequestException or IOException or SocketException =>
                new UpstreamException(UpstreamFailure.Unavailable, $"{Upstream} could not be reached (the connection failed or was dropped).",
                    innerException: exception),
            _ => new UpstreamException(UpstreamFailure.BadResponse, $"{Upstream} returned an answer that could not be read.",
                innerException: exception),
        };
    }

    private static UpstreamException Timeout(TimeSpan timeout, Exception exception) =>
        new(UpstreamFailure.Timeout, $"{Upstream} did not answer within {timeout.TotalSeconds:0.###} s.", innerException: exception);

    private static UpstreamException FromStatus(ClientResultException exception, string deployment, DateTimeOffset now)
    {
        var response = exception.GetRawResponse();
        var code = UpstreamStatusMap.ErrorCode(response);
        return UpstreamStatusMap.ToException(Upstream, exception.Status, code, UpstreamRetryAfter.Read(response, now), $"deployment '{deployment}'",
            exception.Status == 400 && IsContentFilter(code, response), exception);
    }

    /// <summary>Azure marks a blocked prompt with <c>error.code = content_filter</c>; older versions say
    /// <c>ResponsibleAIPolicyViolation</c> in <c>error.innererror.code</c>.</summary>
    private static bool IsContentFilter(string? code, PipelineResponse? response) =>
        string.Equals(code, "content_filter", StringComparison.OrdinalIgnoreCase)
        || string.Equals(UpstreamStatusMap.ErrorCode(response, inner: true), "ResponsibleAIPolicyViolation", StringComparison.OrdinalIgnoreCase);
}
