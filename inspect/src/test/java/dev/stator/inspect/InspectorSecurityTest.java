package dev.stator.inspect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.stator.history.History;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Loopback by default; a token for any other address; the builder's validation. */
class InspectorSecurityTest {
  private static final String TOKEN = "s3cret-token-0123456789";
  private final History history = History.builder().build();

  @Test
  void aNonLoopbackAddressNeedsAToken() {
    assertThatThrownBy(() -> Inspector.builder().history(history).bind("0.0.0.0").start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("0.0.0.0 is not a loopback address").hasMessageContaining("token");
  }

  @Test
  void withATokenEveryRequestMustCarryIt() throws Exception {
    try (Inspector inspector = Inspector.builder().history(history).bind("0.0.0.0")
        .token(TOKEN).start(); HttpClient http = HttpClient.newHttpClient()) {
      String base = "http://127.0.0.1:" + inspector.port();
      for (String path : new String[] {"/", "/api/machines", "/api/export", "/api/events",
          "/api/machines/x/records?token=wrong-token-0123456789"}) {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path).isEqualTo(401);
        assertThat(r.body()).as(path).contains("needs its token");
      }
      HttpResponse<String> header = http.send(HttpRequest.newBuilder(URI.create(base
          + "/api/machines")).header("Authorization", "Bearer " + TOKEN).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(header.statusCode()).isEqualTo(200);
      HttpResponse<String> query = http.send(HttpRequest.newBuilder(URI.create(base
          + "/api/machines?token=" + TOKEN)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(query.statusCode()).isEqualTo(200);
      assertThat(inspector.url().toString()).isEqualTo("http://0.0.0.0:" + inspector.port()
          + "/?token=" + TOKEN);
    }
  }

  @Test
  void theBuilderRefusesBadValuesAndShowsThem() {
    assertThatThrownBy(() -> Inspector.builder().port(70_000))
        .hasMessage("port must be from 0 to 65535: 70000");
    assertThatThrownBy(() -> Inspector.builder().token("short"))
        .hasMessage("token must have at least 16 characters: it has 5");
    assertThatThrownBy(() -> Inspector.builder().clientBuffer(0))
        .hasMessage("client buffer must be positive: 0");
    assertThatThrownBy(() -> Inspector.builder().pollInterval(Duration.ofMillis(-1)))
        .hasMessage("poll interval must be positive: PT-0.001S");
    assertThatThrownBy(() -> Inspector.builder().start())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("needs a source");
  }
}
