using Microsoft.AspNetCore.Http.Features;

namespace Wrapper.Api.Errors;

/// <summary>Caps request bodies (<c>MAX_REQUEST_BODY_BYTES</c>, 1 MiB by default): a declared
/// <c>Content-Length</c> over the cap is answered 413 at once; a chunked body is cut off by the server when it
/// crosses the cap, which <see cref="ApiExceptionHandler"/> also answers 413.</summary>
public sealed class RequestBodyLimitMiddleware
{
    public const string ConfigKey = "MAX_REQUEST_BODY_BYTES";
    public const long DefaultLimit = 1024 * 1024;

    private readonly RequestDelegate _next;
    private readonly long _limit;

    public RequestBodyLimitMiddleware(RequestDelegate next, IConfiguration configuration)
    {
        _next = next;
        _limit = configuration.GetValue<long?>(ConfigKey) is { } configured and > 0 ? configured : DefaultLimit;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength > _limit)
        {
            await ApiProblem.ClientRefusal(StatusCodes.Status413PayloadTooLarge, ProblemCodes.RequestTooLarge,
                "The request body is too large", $"The request body must be at most {_limit} bytes.").WriteAsync(context);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = _limit;
        }

        await _next(context);
    }
}
