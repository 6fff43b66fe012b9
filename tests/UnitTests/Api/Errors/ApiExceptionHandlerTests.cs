using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Wrapper.Api.Errors;
using BadHttpRequestException = Microsoft.AspNetCore.Http.BadHttpRequestException;

namespace Wrapper.UnitTests.Api.Errors;

/// <summary>A client that goes away is not a failure of the service: whatever the exception its leaving caused, the
/// handler records 499 and writes nothing (an aborted body used to end as a logged 500 when its 400 could not be written).</summary>
public sealed class ApiExceptionHandlerTests
{
    [Test]
    public async Task BodyCutShortByAClientThatLeft_Is499WithNoBody()
    {
        var context = Context(aborted: true, new MemoryStream());

        var handled = await new ApiExceptionHandler(NullLogger<ApiExceptionHandler>.Instance)
            .TryHandleAsync(context, new BadHttpRequestException("Unexpected end of request content."), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(handled, Is.True);
            Assert.That(context.Response.StatusCode, Is.EqualTo(StatusCodes.Status499ClientClosedRequest));
            Assert.That(context.Response.Body.Length, Is.Zero);
        });
    }

    [Test]
    public async Task BodyCutShortWhileTheClientStays_Is400()
    {
        var body = new MemoryStream();
        var context = Context(aborted: false, body);

        var handled = await new ApiExceptionHandler(NullLogger<ApiExceptionHandler>.Instance)
            .TryHandleAsync(context, new BadHttpRequestException("Unexpected end of request content."), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(handled, Is.True);
            Assert.That(context.Response.StatusCode, Is.EqualTo(StatusCodes.Status400BadRequest));
            Assert.That(body.Length, Is.GreaterThan(0), "a ProblemDetails body");
        });
    }

    [Test]
    public async Task AnswerThatCannotBeWrittenBecauseTheClientLeft_Is499NotAnException()
    {
        var context = Context(aborted: true, new BrokenStream());

        var handled = await new ApiExceptionHandler(NullLogger<ApiExceptionHandler>.Instance)
            .TryHandleAsync(context, new InvalidOperationException("boom"), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(handled, Is.True);
            Assert.That(context.Response.StatusCode, Is.EqualTo(StatusCodes.Status499ClientClosedRequest));
        });
    }

    private static DefaultHttpContext Context(bool aborted, Stream body)
    {
        var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Response.Body = body;
        context.RequestAborted = aborted ? new CancellationToken(canceled: true) : CancellationToken.None;
        return context;
    }

    /// <summary>A response body whose connection is gone.</summary>
    private sealed class BrokenStream : MemoryStream
    {
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            throw new IOException("Connection reset by peer.");

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            throw new IOException("Connection reset by peer.");

        public override Task FlushAsync(CancellationToken cancellationToken) => throw new IOException("Connection reset by peer.");
    }
}
