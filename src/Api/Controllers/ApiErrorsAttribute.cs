using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ApplicationModels;

namespace Wrapper.Api.Controllers;

/// <summary>Marks an endpoint backed by an upstream model service, so that the OpenAPI document lists the
/// ProblemDetails answers <see cref="Errors.ApiExceptionHandler"/> can give it: 400 (with field errors), 403 (the
/// client's token quota is used up), 429 (the client's or the model service's limit),
/// 500, 502, 503 and 504. Put it on new endpoints (such as /bing-grounding) as well.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class ApiErrorsAttribute : Attribute
{
}

/// <summary>Expands <see cref="ApiErrorsAttribute"/> into <see cref="ProducesResponseTypeAttribute"/>s. (The OpenAI-compatible
/// chat-completions endpoints list their answers in OpenAI's error shape themselves: <see cref="OpenAICompatible.OpenAICompatibleEndpoints"/>.)</summary>
public sealed class ApiErrorsConvention : IActionModelConvention
{
    private static readonly (int Status, Type Type)[] Responses =
    [
        (StatusCodes.Status400BadRequest, typeof(ValidationProblemDetails)),
        (StatusCodes.Status403Forbidden, typeof(ProblemDetails)),
        (StatusCodes.Status429TooManyRequests, typeof(ProblemDetails)),
        (StatusCodes.Status500InternalServerError, typeof(ProblemDetails)),
        (StatusCodes.Status502BadGateway, typeof(ProblemDetails)),
        (StatusCodes.Status503ServiceUnavailable, typeof(ProblemDetails)),
        (StatusCodes.Status504GatewayTimeout, typeof(ProblemDetails)),
    ];

    public void Apply(ActionModel action)
    {
        var marked = action.Attributes.OfType<ApiErrorsAttribute>().Any()
            || action.Controller.Attributes.OfType<ApiErrorsAttribute>().Any();
        if (!marked)
        {
            return;
        }

        foreach (var (status, type) in Responses)
        {
            action.Filters.Add(new ProducesResponseTypeAttribute(type, status, "application/problem+json"));
        }
    }
}
