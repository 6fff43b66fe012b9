using Microsoft.AspNetCore.Diagnostics;
using BadHttpRequestException = Microsoft.AspNetCore.Http.BadHttpRequestException;
using Wrapper.Application.Common.Exceptions;

namespace Wrapper.Api.Errors;

/// <summary>
/// The one place where exceptions become RFC 9457 ProblemDetails, each built by <see cref="ApiProblem.FromException"/>:
/// validation → 400 with <c>errors</c>, <see cref="UpstreamException"/> → the status of <see cref="UpstreamProblem.For"/>
/// (+ <c>Retry-After</c>), <see cref="ThreadNotFoundException"/> → 404 <c>thread_not_found</c>,
/// <see cref="ClientQuotaExceededException"/> → 429 or 403 (+ <c>Retry-After</c>, <c>X-Wrapper-Refusal: client</c>), a malformed or oversized
/// HTTP request → its 4xx, a request the client aborted → no body at all, and anything else → 500 without exception
/// text. Endpoints added later need no change here.
/// </summary>
public sealed class ApiExceptionHandler : IExceptionHandler
{
    private readonly ILogger<ApiExceptionHandler> _logger;

    public ApiExceptionHandler(ILogger<ApiExceptionHandler> logger) => _logger = logger;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        // A cancellation, or a body cut short, because the client went away: nobody is listening any more. Record it
        // (logs show 499) and write nothing.
        if (exception is OperationCanceledException or BadHttpRequestException && httpContext.RequestAborted.IsCancellationRequested)
        {
            return ClientLeft(httpContext);
        }

        var problem = ApiProblem.FromException(exception);
        if (problem is null)
        {
            _logger.LogError(exception, "Unhandled exception while serving {Method} {Path}", httpContext.Request.Method, httpContext.Request.Path);
            problem = ApiProblem.InternalError();
        }

        try
        {
            return await problem.TryWriteAsync(httpContext, exception);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
        {
            // The client left while its answer was being written (a body it cut short ends here).
            return ClientLeft(httpContext);
        }
    }

    private static bool ClientLeft(HttpContext httpContext)
    {
        if (!httpContext.Response.HasStarted)
        {
            httpContext.Response.StatusCode = StatusCodes.Status499ClientClosedRequest;
        }

        return true;
    }
}
